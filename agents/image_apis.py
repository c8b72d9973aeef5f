"""An attached image, for its owner: the chat shows thumbnails of the images sent with a message."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from agents import selectors
from agents.models import Image
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
        response = FileResponse(image.file.open("rb"), content_type=image.mime_type)
        # Served from the app's own origin: never sniffed, never run as a document, kept only privately.
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, max-age=86400"
        return response
