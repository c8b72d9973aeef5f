"""Images for an app's owner: the images sent with a chat message (the chat shows thumbnails), and the
screenshots of the browser self-check (the plan shows them; the latest is the app's thumbnail)."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from agents import selectors
from agents.models import Image, SelfCheck
from config.errors import NotFound


class AgentImageApi(APIView):
    @extend_schema(
        responses={(200, "image/*"): OpenApiTypes.BINARY},
        description="The image's bytes (re-encoded on upload), for the app's owner only.",
    )
    def get(self, request, agent_id, image_id):
        agent = selectors.agent_get_for_user(user=request.user, agent_id=agent_id)
        image = Image.objects.filter(pk=image_id, agent=agent).first() if agent is not None else None
        if image is None:
            raise NotFound("No such image.")
        return _private_image(image.file, content_type=image.mime_type)


class SelfCheckScreenshotApi(APIView):
    @extend_schema(
        responses={(200, "image/png"): OpenApiTypes.BINARY},
        description="The screenshot a browser self-check took of the app (PNG), for the app's owner only.",
    )
    def get(self, request, agent_id, check_id):
        agent = selectors.agent_get_for_user(user=request.user, agent_id=agent_id)
        check = SelfCheck.objects.filter(pk=check_id, agent=agent).first() if agent is not None else None
        if check is None or not check.screenshot:
            raise NotFound("No such screenshot.")
        return _private_image(check.screenshot, content_type="image/png")


def _private_image(file, *, content_type: str) -> FileResponse:
    response = FileResponse(file.open("rb"), content_type=content_type)
    # Served from the app's own origin: never sniffed, never run as a document, kept only privately.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    return response
