"""Where a deployment is served: its preview URL, computed when it is read, never stored.

The one place that builds a preview URL (a stable origin per app, beside these per-deployment ones,
belongs here too). The port comes from `settings.PREVIEW_PORT` when set, else from the Host header of
the request that reads the URL, else the scheme's default port is implied.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http.request import split_domain_port

DEFAULT_PORTS = {"http": "80", "https": "443"}


def preview_url(*, deployment_id: uuid.UUID | str, request_host: str | None = None) -> str:
    """`<scheme>://<id>.<PREVIEW_DOMAIN>[:port]/` for the deployment, as seen by a client of `request_host`."""
    scheme = settings.PREVIEW_SCHEME
    port = str(settings.PREVIEW_PORT or (split_domain_port(request_host)[1] if request_host else ""))
    suffix = f":{port}" if port and port != DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{deployment_id}.{settings.PREVIEW_DOMAIN}{suffix}/"
