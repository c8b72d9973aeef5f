"""Model configuration and provider keys API (docs/architecture.md §8).

Keys are write-only: responses carry `keyHint`.
"""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import InvalidInput, NotFound
from config.ratelimits import enforce
from modelconfig import selectors, services
from modelconfig.actions import ACTION_SPECS, Action, Provider, ReasoningEffort, is_action
from modelconfig.models import MAX_CONTEXT_WINDOW, MAX_TEMPERATURE, MAX_TOKENS_LIMIT, MIN_CONTEXT_WINDOW

CONFIG_PROVIDER_CHOICES = ["", *Provider.values]
CREDENTIAL_PROVIDER_CHOICES = [Provider.OPENAI.value, Provider.ANTHROPIC.value]


@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^({'|'.join(CONFIG_PROVIDER_CHOICES)})$",
        "description": 'One of "" (automatic), ' + ", ".join(f'"{p}"' for p in Provider.values) + ".",
    }
)
class ConfigProviderField(serializers.ChoiceField):
    """A provider or "" (automatic). A pattern, not an enum: spectacular names enums by field name, and
    the credentials' `provider` enum (without "" and offline) already has that name."""

    def __init__(self, **kwargs):
        super().__init__(choices=CONFIG_PROVIDER_CHOICES, **kwargs)


class ModelConfigOutputSerializer(serializers.Serializer):
    """One action's effective configuration (also the shape of `model_configs_info` on the socket)."""

    action = serializers.CharField()
    label = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    provider = serializers.CharField()
    model = serializers.CharField()
    temperature = serializers.FloatField()
    maxTokens = serializers.IntegerField(source="max_tokens")
    reasoningEffort = serializers.CharField(source="reasoning_effort", allow_null=True)
    fallbackModel = serializers.CharField(source="fallback_model", allow_null=True)
    contextWindow = serializers.IntegerField(source="context_window", allow_null=True)
    credentialId = serializers.IntegerField(source="credential_id", allow_null=True)
    isUserOverride = serializers.BooleanField(source="is_user_override")
    usesOwnKey = serializers.BooleanField(source="uses_own_key")
    isOffline = serializers.BooleanField(source="is_offline")
    providerChoice = serializers.CharField(source="provider_choice")
    credentialChoiceId = serializers.IntegerField(source="credential_choice_id", allow_null=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_label(self, config) -> str:
        return Action(config.action).label

    @extend_schema_field(OpenApiTypes.STR)
    def get_description(self, config) -> str:
        return ACTION_SPECS[config.action].description


class ProviderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    provider = serializers.CharField()
    name = serializers.CharField()
    baseUrl = serializers.CharField(source="base_url")
    keyHint = serializers.CharField(source="key_hint")
    hasKey = serializers.BooleanField(source="has_key")
    lastVerifiedAt = serializers.DateTimeField(source="last_verified_at", allow_null=True)
    lastError = serializers.CharField(source="last_error")
    status = serializers.ChoiceField(
        choices=["working", "not working", "unverified"],
        help_text="a key that is not working is not used by any action until it passes a check",
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class ConfigFieldsSerializer(serializers.Serializer):
    """The fields of an override, as PUT takes them; omitted parameters take the action's defaults."""

    provider = ConfigProviderField(required=False, default="")
    model = serializers.CharField(max_length=200)
    temperature = serializers.FloatField(min_value=0.0, max_value=MAX_TEMPERATURE, required=False)
    maxTokens = serializers.IntegerField(min_value=1, max_value=MAX_TOKENS_LIMIT, required=False)
    reasoningEffort = serializers.ChoiceField(
        choices=ReasoningEffort.values, allow_null=True, required=False, default=None
    )
    fallbackModel = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    contextWindow = serializers.IntegerField(
        min_value=MIN_CONTEXT_WINDOW, max_value=MAX_CONTEXT_WINDOW, allow_null=True, required=False, default=None
    )
    credentialId = serializers.IntegerField(allow_null=True, required=False, default=None)

    @staticmethod
    def service_fields(data: dict) -> dict:
        return {
            "provider": data["provider"],
            "model": data["model"],
            "temperature": data.get("temperature"),
            "max_tokens": data.get("maxTokens"),
            "reasoning_effort": data["reasoningEffort"],
            "fallback_model": data["fallbackModel"],
            "context_window": data["contextWindow"],
            "credential_id": data["credentialId"],
        }


def _action_or_404(action: str) -> str:
    if not is_action(action):
        raise NotFound(f"Unknown action '{action}'. Actions: {', '.join(Action.values)}.")
    return action


def _credential_or_404(*, user, credential_id: int):
    credential = selectors.credential_get(user=user, credential_id=credential_id)
    if credential is None:
        raise NotFound("No such provider key.")
    return credential


class ModelConfigListApi(APIView):
    @extend_schema(responses=ModelConfigOutputSerializer(many=True))
    def get(self, request):
        configs = selectors.effective_configs(user=request.user)
        return Response(ModelConfigOutputSerializer(configs, many=True).data)


class ModelConfigDetailApi(APIView):
    class InputSerializer(ConfigFieldsSerializer):
        pass

    @extend_schema(responses=ModelConfigOutputSerializer)
    def get(self, request, action: str):
        config = selectors.effective_config(user=request.user, action=_action_or_404(action))
        return Response(ModelConfigOutputSerializer(config).data)

    @extend_schema(request=InputSerializer, responses=ModelConfigOutputSerializer)
    def put(self, request, action: str):
        action = _action_or_404(action)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.model_config_set(
            user=request.user, action=action, **ConfigFieldsSerializer.service_fields(data.validated_data)
        )
        config = selectors.effective_config(user=request.user, action=action)
        return Response(ModelConfigOutputSerializer(config).data)

    @extend_schema(responses=ModelConfigOutputSerializer)
    def delete(self, request, action: str):
        action = _action_or_404(action)
        services.model_config_reset(user=request.user, action=action)
        config = selectors.effective_config(user=request.user, action=action)
        return Response(ModelConfigOutputSerializer(config).data)


class ModelConfigResetApi(APIView):
    @extend_schema(request=None, responses=ModelConfigOutputSerializer(many=True))
    def post(self, request):
        services.model_config_reset_all(user=request.user)
        configs = selectors.effective_configs(user=request.user)
        return Response(ModelConfigOutputSerializer(configs, many=True).data)


class ModelConfigTestApi(APIView):
    """Run a short prompt: `{action}` tests the saved configuration; add `model` (and any other PUT field)
    to test an unsaved one."""

    class InputSerializer(ConfigFieldsSerializer):
        action = serializers.ChoiceField(choices=Action.values)
        model = serializers.CharField(max_length=200, required=False)

    class OutputSerializer(serializers.Serializer):
        ok = serializers.BooleanField()
        provider = serializers.CharField()
        model = serializers.CharField()
        latencyMs = serializers.IntegerField(source="latency_ms")
        reply = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = data.validated_data["action"]
        override = None
        if "model" in data.validated_data:
            override = services.model_config_build(
                user=request.user, action=action, **ConfigFieldsSerializer.service_fields(data.validated_data)
            )
        elif set(request.data) - {"action"}:
            raise InvalidInput("model: Name the model to test an unsaved configuration.")
        config = selectors.resolve(user=request.user, action=action, override=override).config
        if not config.is_offline and not config.uses_own_key:
            # The server's key pays for this call: count it like any other LLM call.
            enforce(
                request=request,
                group="model-config-test",
                key="user",
                rate=settings.LLM_RATE,
                message="Too many model tests.",
            )
        result = services.model_config_test(user=request.user, action=action, override=override)
        return Response(self.OutputSerializer({"ok": True, **asdict(result)}).data)


class ProviderListApi(APIView):
    class InputSerializer(serializers.Serializer):
        provider = serializers.ChoiceField(choices=CREDENTIAL_PROVIDER_CHOICES)
        name = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")
        baseUrl = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")
        apiKey = serializers.CharField(
            max_length=1000, allow_blank=True, required=False, default="", write_only=True, trim_whitespace=True
        )
        verify = serializers.BooleanField(
            default=True, help_text="check the key now (a failing key is saved as not working and switches nothing)"
        )

    @extend_schema(responses=ProviderOutputSerializer(many=True))
    def get(self, request):
        credentials = selectors.credential_list(user=request.user)
        return Response(ProviderOutputSerializer(credentials, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ProviderOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        credential = services.credential_create(
            user=request.user,
            provider=values["provider"],
            name=values["name"],
            base_url=values["baseUrl"],
            api_key=values["apiKey"],
            verify=values["verify"],
        )
        return Response(ProviderOutputSerializer(credential).data, status=status.HTTP_201_CREATED)


class ProviderDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, allow_blank=True, required=False)
        baseUrl = serializers.CharField(max_length=500, allow_blank=True, required=False)
        apiKey = serializers.CharField(max_length=1000, allow_blank=True, required=False, write_only=True)
        verify = serializers.BooleanField(default=True, help_text="check a changed key or URL now")

    @extend_schema(responses=ProviderOutputSerializer)
    def get(self, request, credential_id: int):
        credential = _credential_or_404(user=request.user, credential_id=credential_id)
        return Response(ProviderOutputSerializer(credential).data)

    @extend_schema(request=InputSerializer, responses=ProviderOutputSerializer)
    def patch(self, request, credential_id: int):
        credential = _credential_or_404(user=request.user, credential_id=credential_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        credential = services.credential_update(
            credential=credential,
            name=values.get("name"),
            base_url=values.get("baseUrl"),
            api_key=values.get("apiKey"),
            verify=values.get("verify", True),
        )
        return Response(ProviderOutputSerializer(credential).data)

    @extend_schema(responses={204: None})
    def delete(self, request, credential_id: int):
        credential = _credential_or_404(user=request.user, credential_id=credential_id)
        services.credential_delete(credential=credential)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProviderVerifyApi(APIView):
    class OutputSerializer(serializers.Serializer):
        ok = serializers.BooleanField()
        models = serializers.ListField(child=serializers.CharField())
        provider = ProviderOutputSerializer()

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request, credential_id: int):
        credential = _credential_or_404(user=request.user, credential_id=credential_id)
        models = services.credential_verify(credential=credential)
        return Response(self.OutputSerializer({"ok": True, "models": models, "provider": credential}).data)
