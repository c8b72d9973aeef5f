"""Wrap every successful API body in `{"success": true, "data": …}` (docs/architecture.md §8)."""

from rest_framework.renderers import JSONRenderer


class EnvelopeJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        already = isinstance(data, dict) and "success" in data and ("data" in data or "error" in data)
        if response is not None and response.status_code < 400 and not already:
            if response.status_code == 204:
                return b""
            data = {"success": True, "data": data}
        return super().render(data, accepted_media_type, renderer_context)


class NDJSONRenderer(EnvelopeJSONRenderer):
    """Lets clients ask for `Accept: application/x-ndjson` on streaming endpoints; a refusal is one JSON line."""

    media_type = "application/x-ndjson"
    format = "ndjson"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render(data, accepted_media_type, renderer_context) + b"\n"
