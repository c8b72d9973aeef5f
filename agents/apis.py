"""The agent HTTP API (docs/architecture.md §8): thin views over agents.services and agents.selectors."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import zipfile
from collections.abc import AsyncIterator
from types import SimpleNamespace

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import catalog, payloads, selectors, services, versions
from agents.deployments import agent_deploy_preview, deploy_rate_enforce
from agents.images import image_store
from agents.models import File, UsageRecord
from agents.selectors import agent_latest_preview, preview_payload
from agents.version_apis import FileEditInputSerializer
from config.errors import InvalidInput, NotFound, PayloadTooLarge
from config.failures import failure
from config.pagination import EnvelopePagination
from config.parsers import JSONParser
from config.ratelimits import enforce
from config.renderers import EnvelopeJSONRenderer, NDJSONRenderer
from modelconfig.selectors import user_spends_server_keys
from previews.models import DeploymentStatus

logger = logging.getLogger(__name__)


def _agent_or_404(request, agent_id):
    agent = selectors.agent_get_for_user(user=request.user, agent_id=agent_id)
    if agent is None:
        raise NotFound("No such app.")
    return agent


def _ws_url(request, agent_id) -> str:
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/api/agent/{agent_id}/ws"


def _images_from(request) -> list:
    uploads = request.FILES.getlist("images") if hasattr(request, "FILES") else []
    if len(uploads) > services.MAX_IMAGES_PER_TURN:
        raise InvalidInput(f"images: at most {services.MAX_IMAGES_PER_TURN} images per request.")
    return uploads


# Outcome lines of the blueprint stream, by the run's event that ends it.
_STREAM_ENDS = {"blueprint_generated", "error", "generation_stopped", "agent_deleted"}
# How long to wait for the run's next event before looking at the agent row (a broadcast may be lost).
_STREAM_POLL_SECONDS = 1.0


def _ndjson_line(frame: dict) -> dict | None:
    """The NDJSON line (docs/architecture.md §8) for one of the run's events during planning; None to skip it."""
    kind = frame["type"]
    if kind == "blueprint_chunk":
        return {"type": "chunk", "chunk": frame["chunk"]}
    if kind == "generation_retrying":
        # Chunks after this line start the blueprint text again.
        return {"type": "retrying", **{k: frame[k] for k in ("attempt", "maxAttempts", "retryInSeconds", "reason")}}
    if kind == "blueprint_generated":
        return {"type": "blueprint", "blueprint": frame["blueprint"]}
    if kind == "error":
        return failure(code=frame.get("code") or "INTERNAL", message=frame["error"]).ndjson_line()
    if kind == "generation_stopped":
        return failure(code="CONFLICT", message="Planning was stopped.").ndjson_line()
    if kind == "agent_deleted":
        return failure(code="NOT_FOUND", message="The app was deleted.").ndjson_line()
    return None


def _planning_outcome(agent_id) -> dict | None:
    """What the agent row says when the stream's broadcasts were missed: the last line, or None (still planning)."""
    from agents.models import Agent, AgentStatus

    agent = Agent.objects.filter(pk=agent_id).values("blueprint", "status", "error").first()
    if agent is None:
        return _ndjson_line({"type": "agent_deleted"})
    if agent["blueprint"] is not None:
        return {"type": "blueprint", "blueprint": agent["blueprint"]}
    if agent["status"] == AgentStatus.FAILED:
        return failure(code="PROVIDER_ERROR", message=agent["error"]).ndjson_line()
    if agent["status"] == AgentStatus.STOPPED:
        return _ndjson_line({"type": "generation_stopped"})
    return None


async def _ndjson(start: dict, agent_id) -> AsyncIterator[bytes]:
    """Relay the planning run's events as NDJSON lines: start, chunk…, blueprint | error.

    The stream subscribes to the agent's group before the run is enqueued, so no chunk is missed; the run
    goes on whether or not anyone reads (a client may walk away: the blueprint is saved either way).
    """
    from channels.db import database_sync_to_async
    from channels.layers import get_channel_layer

    from agents import lifecycle
    from agents.events import LAYER_TYPE, group_name
    from agents.realtime import bind_loop

    bind_loop(asyncio.get_running_loop())
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = group_name(agent_id)
    await layer.group_add(group, channel)
    try:
        await database_sync_to_async(lifecycle.request_planning)(agent_id=agent_id)
        yield (json.dumps(start) + "\n").encode()
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=_STREAM_POLL_SECONDS)
            except TimeoutError:
                line = await database_sync_to_async(_planning_outcome)(agent_id)
                if line is not None:
                    yield (json.dumps(line) + "\n").encode()
                    return
                continue
            # Frames travel as text (agents.events); a `layer.overflow` here is covered by the outcome check.
            frame = json.loads(message["text"]) if message.get("type") == LAYER_TYPE else {}
            line = _ndjson_line(frame) if "type" in frame else None
            if line is not None:
                yield (json.dumps(line) + "\n").encode()
            if frame.get("type") in _STREAM_ENDS:
                return
    finally:
        await layer.group_discard(group, channel)


def _check_template(template: str | None) -> None:
    """A template asked for by name must be one this server offers; say why when it is not."""
    if template and template not in catalog.offered():
        why = catalog.unavailable().get(template) or f"the templates are {', '.join(catalog.offered())}"
        raise InvalidInput(f"template: {template!r} is not offered on this server: {why}")


class CodegenApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    renderer_classes = [EnvelopeJSONRenderer, NDJSONRenderer]

    class InputSerializer(serializers.Serializer):
        query = serializers.CharField(trim_whitespace=True, allow_blank=True)
        template = serializers.CharField(required=False, allow_blank=True, max_length=64)

    def read_input(self, request) -> tuple[str, str | None, list]:
        """(query, template, image files) from the request; VibeSDK's alias reads its own field names."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data["query"], data.validated_data.get("template") or None, _images_from(request)

    @extend_schema(
        request=InputSerializer,
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR},
        description="Create an agent and stream its blueprint as NDJSON lines: start, chunk…, blueprint | error.",
    )
    def post(self, request):
        query, template, uploads = self.read_input(request)
        query = query.strip()
        if not query:
            raise InvalidInput("query: describe the app you want.")
        if len(query) > services.MAX_QUERY_CHARS:
            raise PayloadTooLarge(f"query: at most {services.MAX_QUERY_CHARS:,} characters.")
        _check_template(template)
        if user_spends_server_keys(user=request.user):
            enforce(
                request=request,
                group="codegen",
                key="user",
                rate=settings.CODEGEN_RATE,
                message="You have created too many apps on this server's model for now.",
            )
        images = [image_store(owner=request.user, upload=upload) for upload in uploads]
        agent = services.agent_create(
            owner=request.user,
            query=query,
            images=images,
            template=template,
        )
        from modelconfig.selectors import model_info

        starter = catalog.choose(requested=agent.template_name or None, query=query)
        start = {
            "type": "start",
            "message": "Code generation started",
            "agentId": str(agent.pk),
            "websocketUrl": _ws_url(request, agent.pk),
            "httpStatusUrl": request.build_absolute_uri(f"/api/agent/{agent.pk}"),
            # Atelier plans and builds web apps in phases; VibeSDK's clients read both.
            "behaviorType": "phasic",
            "projectType": "app",
            "template": {"name": starter.name, "files": list(starter.files)},
            "model": model_info(user=request.user),
        }
        response = StreamingHttpResponse(_ndjson(start, agent.pk), content_type="application/x-ndjson")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


class AgentOutputSerializer(serializers.Serializer):
    def to_representation(self, agent):
        return payloads.agent_payload(agent, request_host=self.context.get("request_host"))


class AgentDetailApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, agent_id):
        agent = _agent_or_404(request, agent_id)
        return Response(AgentOutputSerializer(agent, context={"request_host": request.get_host()}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, agent_id):
        services.agent_delete(agent=_agent_or_404(request, agent_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgentListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        agentId = serializers.UUIDField(source="pk")
        title = serializers.CharField()
        query = serializers.CharField()
        status = serializers.CharField()
        createdAt = serializers.DateTimeField(source="created_at")
        updatedAt = serializers.DateTimeField(source="updated_at")
        # The latest self-check screenshot (the apps list shows it as the app's thumbnail), or null.
        thumbnailUrl = serializers.SerializerMethodField()

        def get_thumbnailUrl(self, agent) -> str | None:
            if agent.thumbnail_check_id is None:
                return None
            kwargs = {"agent_id": agent.pk, "check_id": agent.thumbnail_check_id}
            return reverse("agent-self-check-screenshot", kwargs=kwargs)

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(selectors.agent_list_for_user(user=request.user), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class AgentConnectApi(APIView):
    class OutputSerializer(serializers.Serializer):
        websocketUrl = serializers.CharField()
        agentId = serializers.CharField()
        ticket = serializers.CharField()
        expiresIn = serializers.IntegerField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request, agent_id):
        agent = _agent_or_404(request, agent_id)
        return Response(
            {
                "websocketUrl": _ws_url(request, agent.pk),
                "agentId": str(agent.pk),
                "ticket": services.ticket_issue(user=request.user, agent=agent),
                "expiresIn": settings.WS_TICKET_SECONDS,
            }
        )


class AgentImagesApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        mimeType = serializers.CharField(source="mime_type")
        width = serializers.IntegerField()
        height = serializers.IntegerField()

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"images": {"type": "array", "items": {"type": "string", "format": "binary"}}},
            }
        },
        responses={201: OutputSerializer(many=True)},
    )
    def post(self, request, agent_id):
        agent = _agent_or_404(request, agent_id)
        uploads = _images_from(request)
        if not uploads:
            raise InvalidInput("images: attach at least one image (multipart field `images`).")
        images = [image_store(owner=request.user, upload=upload, agent=agent) for upload in uploads]
        return Response({"images": self.OutputSerializer(images, many=True).data}, status=status.HTTP_201_CREATED)


class AgentEventsApi(APIView):
    """`GET /api/agent/<id>/events?after=<seq>`: the durable frames a client missed, in bounded pages.

    The same frames, byte for byte, that the socket sends (and `?after` replays): a client that saw a hole in
    `prevDurableSeq` fetches from its last durable seq until `hasMore` is false, then applies later frames.
    """

    PAGE_BYTES = 1024 * 1024

    class InputSerializer(serializers.Serializer):
        after = serializers.IntegerField(min_value=0)
        limit = serializers.IntegerField(min_value=1, max_value=500, default=200)

    @extend_schema(parameters=[InputSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, agent_id):
        agent = _agent_or_404(request, agent_id)
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        after = data.validated_data["after"]
        texts, more = selectors.events_page(
            agent=agent, after=after, limit=data.validated_data["limit"], budget=self.PAGE_BYTES
        )
        page = [json.loads(text) for text in texts]
        return Response(
            {
                "events": page,
                "hasMore": more,
                # Where the next page starts (unchanged when this one is empty).
                "nextAfter": page[-1]["seq"] if page else after,
                "lastDurableSeq": agent.last_seq,
            }
        )


class AgentMessagesApi(APIView):
    """`GET /api/agent/<id>/messages[?before=<id>]`: the conversation, newest page first, older on request.

    The snapshot carries only the newest messages (`conversationHasMore`, `conversationBefore`); this pages
    back from there. Messages come oldest first within a page, each text cut as in the snapshot.
    """

    class InputSerializer(serializers.Serializer):
        before = serializers.IntegerField(min_value=1, required=False)
        limit = serializers.IntegerField(min_value=1, max_value=100, default=50)

    @extend_schema(parameters=[InputSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, agent_id):
        agent = _agent_or_404(request, agent_id)
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        limit = data.validated_data["limit"]
        older = selectors.messages_before(agent=agent, before=data.validated_data.get("before"), limit=limit + 1)
        page = payloads.conversation_page(older[:limit])
        return Response(
            {
                "messages": page,
                "hasMore": len(page) < len(older),
                "before": page[0]["id"] if page else None,
            }
        )


class AgentFileApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, agent_id, path):
        agent = _agent_or_404(request, agent_id)
        file = File.objects.filter(agent=agent, path=path, complete=True).first()
        if file is None:
            raise NotFound("No such file.")
        return Response(
            {"filePath": file.path, "filePurpose": file.purpose, "fileContents": file.content, "sha256": file.sha256}
        )

    @extend_schema(
        request=FileEditInputSerializer,
        responses=OpenApiTypes.OBJECT,
        description='Write the file by hand as a new version "Edited <path>", then redeploy.',
    )
    def put(self, request, agent_id, path):
        agent = _agent_or_404(request, agent_id)
        data = FileEditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = versions.edit_file(
            agent=agent, path=path, content=data.validated_data["fileContents"], user=request.user
        )
        return Response({"version": versions.version_payload(version)})


class _ExportFormatNegotiation(DefaultContentNegotiation):
    """`?format=` names the export's format here (zip or git), not one of DRF's renderers."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class AgentExportApi(APIView):
    content_negotiation_class = _ExportFormatNegotiation

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, agent_id):
        agent = _agent_or_404(request, agent_id)
        buffer = io.BytesIO()
        folder = (agent.blueprint or {}).get("projectName") or f"app-{str(agent.pk)[:8]}"
        if request.query_params.get("format") == "git":  # the files and their history
            response = HttpResponse(versions.export_git_zip(agent=agent, folder=folder), content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{folder}.zip"'
            return response
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, content in selectors.agent_files(agent=agent).items():
                archive.writestr(f"{folder}/{path}", content)
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{folder}.zip"'
        return response


class UsageApi(APIView):
    """Tokens per day and in total; `freeTokensIn/Out` of them ran on the built-in offline model and cost
    nothing (estimates, about four characters a token)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        offline = Q(provider="offline")
        sums = {
            "tokensIn": Sum("tokens_in"),
            "tokensOut": Sum("tokens_out"),
            "freeTokensIn": Sum("tokens_in", filter=offline),
            "freeTokensOut": Sum("tokens_out", filter=offline),
            "calls": Count("id"),
        }
        records = UsageRecord.objects.filter(user=request.user)
        rows = records.annotate(day=TruncDate("created_at")).values("day").annotate(**sums).order_by("-day")
        days = [{"day": r["day"].isoformat(), **{k: r[k] or 0 for k in sums}} for r in rows[:90]]
        totals = records.aggregate(**sums)
        return Response({"days": days, "totals": {k: v or 0 for k, v in totals.items()}})


class PreviewOutputSerializer(serializers.Serializer):
    """The shape of `deployments.preview_payload`, for the schema."""

    deploymentId = serializers.UUIDField()
    status = serializers.ChoiceField(choices=DeploymentStatus.choices)
    previewUrl = serializers.CharField(allow_null=True, help_text="this deployment's own, immutable origin")
    appUrl = serializers.CharField(allow_null=True, help_text="the app's stable origin: its latest deployment")
    error = serializers.CharField(allow_null=True)
    incomplete = serializers.BooleanField(help_text="published from an unfinished (stopped or failed) app")
    missingFiles = serializers.ListField(child=serializers.CharField())


class AgentDeployPreviewApi(APIView):
    @extend_schema(request=None, responses={202: PreviewOutputSerializer})
    def post(self, request, agent_id):
        deploy_rate_enforce(user=request.user)
        agent = _agent_or_404(request, agent_id)
        # The static backend is fast, so the deploy runs inside the request; 202 keeps the contract open
        # for backends that build in the background (progress arrives as deployment_* events).
        deployment = agent_deploy_preview(agent=agent, request_host=request.get_host())
        payload = preview_payload(deployment, request_host=request.get_host())
        keys = ("deploymentId", "status", "previewUrl", "appUrl", "incomplete", "missingFiles")
        return Response({key: payload[key] for key in keys}, status=202)


class AgentRequestRetryApi(APIView):
    """`POST /api/agent/<id>/messages/<message_id>/retry`: send a failed chat request again (as `retry_request`)."""

    class OutputSerializer(serializers.Serializer):
        messageId = serializers.IntegerField()
        pending = serializers.BooleanField()

    @extend_schema(request=None, responses={202: OutputSerializer})
    def post(self, request, agent_id, message_id):
        agent = _agent_or_404(request, agent_id)
        from modelconfig.selectors import user_uses_own_keys

        if not user_uses_own_keys(user=request.user):
            enforce(
                request=request, group="llm", key="user", rate=settings.LLM_RATE, message="Too many model requests."
            )
        message = services.agent_retry_request(agent=agent, message_id=message_id)
        return Response({"messageId": message.pk, "pending": message.pending}, status=202)


class AgentPreviewApi(APIView):
    @extend_schema(responses=PreviewOutputSerializer)
    def get(self, request, agent_id):
        preview = agent_latest_preview(agent=_agent_or_404(request, agent_id), request_host=request.get_host())
        if preview is None:
            raise NotFound("No preview deployed yet.")
        return Response(preview)
