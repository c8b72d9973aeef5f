"""Accounts API: sign-up, token, me (docs/architecture.md §8), and VibeSDK's auth check and API-key exchange."""

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.access_tokens import ACCESS_TOKEN_SECONDS, access_token_issue, api_key_id, api_key_user
from accounts.lockout import locked_out
from accounts.usernames import canonical_username
from config.errors import Forbidden, Unauthorized
from config.ratelimits import enforce


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    dateJoined = serializers.DateTimeField(source="date_joined")


class UsernameField(serializers.RegexField):
    """A user name as Django's forms read it: NFKC-normalised before it is checked."""

    def __init__(self, **kwargs):
        super().__init__(r"^[\w.@+-]+\Z", max_length=150, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = canonical_username(data)
        return super().to_internal_value(data)


class SignUpApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        username = UsernameField()
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        email = serializers.EmailField(required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        user = UserOutputSerializer()
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request):
        if not settings.OPEN_SIGNUP:
            raise Forbidden("Sign-up is closed on this server.")
        enforce(
            request=request,
            group="signup",
            key="ip",
            rate=settings.SIGNUP_RATE,
            message="Too many sign-ups from this address.",
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_sign_up(**data.validated_data)
        return Response(
            {"user": UserOutputSerializer(user).data, "token": services.user_token(user=user)},
            status=status.HTTP_201_CREATED,
        )


class TokenApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request):
        # Counted before checking the password, so guessing is limited whether guesses are right or wrong.
        enforce(
            request=request,
            group="token",
            key="ip",
            rate=settings.TOKEN_RATE,
            message="Too many sign-in attempts from this address.",
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request: django-axes records the attempt and flags a lockout on it.
        user = authenticate(request._request, **data.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            raise locked_out()
        if user is None:
            raise Unauthorized("Wrong username or password.")
        return Response({"token": services.user_token(user=user)})


class MeApi(APIView):
    @extend_schema(responses=UserOutputSerializer)
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)


class VibeUserOutputSerializer(UserOutputSerializer):
    """Atelier's user plus the `displayName` VibeSDK's clients show."""

    displayName = serializers.CharField(source="username")


def _session_id(request) -> str | None:
    """A non-secret name for how the caller signed in: never the session key itself."""
    auth = request.auth
    if isinstance(auth, dict) and auth.get("apiKeyId"):
        return f"api_key:{auth['apiKeyId']}"
    if auth is not None and getattr(auth, "key", None):
        return f"api_key:{api_key_id(auth.key)}"
    session_key = getattr(getattr(request._request, "session", None), "session_key", None)
    return f"session:{hashlib.sha256(session_key.encode()).hexdigest()[:16]}" if session_key else None


class AuthCheckApi(APIView):
    """Always 200, signed in or not (VibeSDK's `GET /api/auth/check`); a bad credential reads as signed out."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        authenticated = serializers.BooleanField()
        user = VibeUserOutputSerializer(allow_null=True)
        sessionId = serializers.CharField(allow_null=True)

    def perform_authentication(self, request):
        # Authenticate lazily in get(), where a failed credential is an answer, not a 401.
        pass

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        try:
            user = request.user
        except exceptions.AuthenticationFailed:
            user = None
        if user is None or not user.is_authenticated:
            return Response({"authenticated": False, "user": None, "sessionId": None})
        return Response(
            {"authenticated": True, "user": VibeUserOutputSerializer(user).data, "sessionId": _session_id(request)}
        )


class ExchangeApiKeyApi(APIView):
    """Trade an API key (`Authorization: Bearer <key>` or `X-API-Key`) for a short-lived access token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    class OutputSerializer(serializers.Serializer):
        accessToken = serializers.CharField()
        expiresIn = serializers.IntegerField()
        expiresAt = serializers.DateTimeField()
        apiKeyId = serializers.CharField()
        user = VibeUserOutputSerializer()

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request):
        enforce(
            request=request,
            group="api-key-exchange",
            key="ip",
            rate=settings.API_KEY_EXCHANGE_RATE,
            message="Too many API key exchanges from this address.",
        )
        header = request.headers.get("Authorization", "").strip()
        key = header[len("bearer ") :].strip() if header.lower().startswith("bearer ") else ""
        key = key or request.headers.get("X-API-Key", "").strip()
        if not key:
            raise Unauthorized("Missing API key: send `Authorization: Bearer <your API token>`.")
        user = api_key_user(key=key)
        if user is None:
            raise Unauthorized("Invalid API key.")
        token, expires_at = access_token_issue(user=user, key=key)
        return Response(
            {
                "accessToken": token,
                "expiresIn": ACCESS_TOKEN_SECONDS,
                "expiresAt": expires_at.isoformat(),
                "apiKeyId": api_key_id(key),
                "user": VibeUserOutputSerializer(user).data,
            }
        )
