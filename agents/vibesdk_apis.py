"""VibeSDK's routes over Atelier's services, so its client works unmodified (docs/vibesdk.md).

`POST /api/agent` (the codegen stream, VibeSDK's field names), `POST /api/ws-ticket`, and the `client.apps`
routes Atelier has the concept for: list, recent, get, delete. Atelier's own routes stay as they are.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import selectors, services, vibesdk
from agents.apis import CodegenApi, _agent_or_404, _ws_url
from agents.images import base64_upload
from config.errors import InvalidInput, NotFound
from config.parsers import JSONParser
from previews.origins import preview_url

LIST_LIMIT = 100
RECENT_LIMIT = 10


def _own_agent(request, raw_id: str):
    """The caller's agent by an id from a path or body, which may be anything: not found unless a UUID."""
    try:
        agent_id = uuid.UUID(str(raw_id))
    except ValueError:
        raise NotFound("No such app.")
    return _agent_or_404(request, agent_id)


class VibeCodegenApi(CodegenApi):
    """`POST /api/agent`: the same NDJSON stream as `/api/agent/codegen`, read from VibeSDK's CodeGenArgs."""

    parser_classes = [JSONParser]

    class InputSerializer(serializers.Serializer):
        query = serializers.CharField(trim_whitespace=True, allow_blank=True)
        selectedTemplate = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=64)
        projectType = serializers.ChoiceField(
            choices=["app", "auto"],
            required=False,
            allow_null=True,
            error_messages={"invalid_choice": "Atelier builds apps only."},
        )
        behaviorType = serializers.ChoiceField(
            choices=["phasic"],
            required=False,
            allow_null=True,
            error_messages={"invalid_choice": "Atelier builds in phases only."},
        )
        language = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=64)
        frameworks = serializers.ListField(
            child=serializers.CharField(max_length=64), required=False, allow_null=True, max_length=20
        )
        images = serializers.ListField(child=serializers.JSONField(), required=False, allow_null=True)
        credentials = serializers.JSONField(required=False, allow_null=True)

    def read_input(self, request) -> tuple[str, str | None, list]:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("credentials"):
            raise InvalidInput(
                "credentials: per-request provider keys are not accepted here; save your keys "
                "once in Settings → Models (/settings/, or POST /api/providers)."
            )
        attachments = values.get("images") or []
        if len(attachments) > services.MAX_IMAGES_PER_TURN:
            raise InvalidInput(f"images: at most {services.MAX_IMAGES_PER_TURN} images per request.")
        return values["query"], values.get("selectedTemplate") or None, [base64_upload(a) for a in attachments]

    @extend_schema(
        request=InputSerializer,
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR},
        description="VibeSDK's name for POST /api/agent/codegen: the same NDJSON stream (start, chunk…, "
        "blueprint | error), with `selectedTemplate` and inline base64 `images`.",
    )
    def post(self, request):
        return super().post(request)


class WsTicketApi(APIView):
    """`POST /api/ws-ticket {resourceType: "agent", resourceId}`: a single-use ticket for the agent's socket."""

    class InputSerializer(serializers.Serializer):
        resourceType = serializers.ChoiceField(
            choices=["agent"], error_messages={"invalid_choice": "Only agent tickets exist here."}
        )
        resourceId = serializers.CharField(max_length=64)

    class OutputSerializer(serializers.Serializer):
        ticket = serializers.CharField()
        expiresIn = serializers.IntegerField()
        expiresAt = serializers.DateTimeField()
        websocketUrl = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent = _own_agent(request, data.validated_data["resourceId"])
        ticket = services.ticket_issue(user=request.user, agent=agent)
        expires_at = timezone.now() + timedelta(seconds=settings.WS_TICKET_SECONDS)
        return Response(
            {
                "ticket": ticket,
                "expiresIn": settings.WS_TICKET_SECONDS,
                "expiresAt": expires_at.isoformat(),
                "websocketUrl": _ws_url(request, agent.pk),
            }
        )


def _latest_ready(agents) -> dict:
    """agent id → its newest ready deployment, in one query."""
    from previews.models import Deployment, DeploymentStatus

    latest: dict = {}
    rows = Deployment.objects.filter(agent__in=agents, status=DeploymentStatus.READY).order_by("-created_at")
    for deployment in rows:
        latest.setdefault(deployment.agent_id, deployment)
    return latest


def _app_items(agents: list, *, request_host: str) -> list[dict]:
    deployments = _latest_ready(agents)
    return [_app_item(agent, deployments.get(agent.pk), request_host=request_host) for agent in agents]


def _app_item(agent, deployment, *, request_host: str) -> dict:
    return vibesdk.app_item(
        agent_id=str(agent.pk),
        title=agent.title,
        query=agent.query,
        status=agent.status,
        user_id=agent.owner_id,
        created_at=agent.created_at.isoformat(),
        updated_at=agent.updated_at.isoformat(),
        framework=agent.template_name,
        preview_url=preview_url(deployment_id=deployment.pk, request_host=request_host) if deployment else None,
        deployment_id=str(deployment.pk) if deployment else None,
        last_deployed_at=deployment.updated_at.isoformat() if deployment else None,
    )


class AppListApi(APIView):
    """`GET /api/apps`: the user's apps, newest first (at most LIST_LIMIT; `GET /api/agents` pages them all)."""

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="apps_list")
    def get(self, request):
        agents = list(selectors.agent_list_for_user(user=request.user)[:LIST_LIMIT])
        return Response({"apps": _app_items(agents, request_host=request.get_host())})


class AppRecentApi(APIView):
    """`GET /api/apps/recent`: the user's last RECENT_LIMIT apps."""

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="apps_recent")
    def get(self, request):
        agents = list(selectors.agent_list_for_user(user=request.user)[:RECENT_LIMIT])
        return Response({"apps": _app_items(agents, request_host=request.get_host())})


class AppDetailApi(APIView):
    """`GET /api/apps/<id>` (VibeSDK's AppDetails) and `DELETE /api/apps/<id>`; another user's app is 404."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, app_id):
        agent = _own_agent(request, app_id)
        deployment = _latest_ready([agent]).get(agent.pk)
        files = selectors.agent_files(agent=agent)
        purposes = dict(agent.files.values_list("path", "purpose"))
        return Response(
            {
                **_app_item(agent, deployment, request_host=request.get_host()),
                "cloudflareUrl": None,
                "behaviorType": vibesdk.BEHAVIOR_TYPE,
                "user": {"id": str(agent.owner_id), "displayName": agent.owner.username, "avatarUrl": None},
                "agentSummary": {
                    "query": agent.query,
                    "generatedCode": [
                        {"filePath": path, "fileContents": content, "explanation": purposes.get(path, "")}
                        for path, content in files.items()
                    ],
                },
            }
        )

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def delete(self, request, app_id):
        services.agent_delete(agent=_own_agent(request, app_id))
        return Response({"success": True, "message": "App deleted."})
