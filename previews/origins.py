"""Where a deployment is served: its preview URLs, computed when they are read, never stored.

The one place that builds preview URLs. Each deployment has its own immutable origin,
`<deployment-id>.<PREVIEW_DOMAIN>`; each app also has one stable origin, `app-<agent-id>.<PREVIEW_DOMAIN>`,
that always serves its latest ready deployment, so the app's browser data (localStorage, IndexedDB)
survives a redeploy. The port comes from `settings.PREVIEW_PORT` when set, else from the Host header of
the request that reads the URL, else the scheme's default port is implied.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http.request import split_domain_port

DEFAULT_PORTS = {"http": "80", "https": "443"}
# The first label of an app's stable origin: "app-" and the agent id (a deployment's is its bare id).
APP_LABEL_PREFIX = "app-"


def preview_url(*, deployment_id: uuid.UUID | str, request_host: str | None = None) -> str:
    """`<scheme>://<id>.<PREVIEW_DOMAIN>[:port]/` for the deployment, as seen by a client of `request_host`."""
    return _origin(str(deployment_id), request_host)


def app_preview_url(*, agent_id: uuid.UUID | str, request_host: str | None = None) -> str:
    """`<scheme>://app-<agent-id>.<PREVIEW_DOMAIN>[:port]/`: the app's latest deployment, at a stable origin."""
    return _origin(f"{APP_LABEL_PREFIX}{agent_id}", request_host)


def _origin(label: str, request_host: str | None) -> str:
    scheme = settings.PREVIEW_SCHEME
    port = str(settings.PREVIEW_PORT or (split_domain_port(request_host)[1] if request_host else ""))
    suffix = f":{port}" if port and port != DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{label}.{settings.PREVIEW_DOMAIN}{suffix}/"
