"""Accounts API: sign-up, token, me (DESIGN.md §8)."""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
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
        enforce(request=request, group="signup", key="ip", rate=settings.SIGNUP_RATE,
                message="Too many sign-ups from this address.")
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
        enforce(request=request, group="token", key="ip", rate=settings.TOKEN_RATE,
                message="Too many sign-in attempts from this address.")
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
