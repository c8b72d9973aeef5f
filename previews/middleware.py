"""The preview origins: `<deployment-id>.<PREVIEW_DOMAIN>` serves that deployment's files and nothing else;
`app-<agent-id>.<PREVIEW_DOMAIN>` serves the app's latest ready deployment the same way (previews.origins).

First in MIDDLEWARE, so for a preview host it answers before sessions, CSRF, auth or URL routing run: no
cookie is read or set and no Django view is reachable there. Every other host passes straight through.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.utils.cache import get_conditional_response

from previews import storage
from previews.origins import APP_LABEL_PREFIX
from previews.paths import file_path_for_url
from previews.selectors import deployment_get_latest_served, deployment_get_served

DEPLOYMENT_ID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
APP_LABEL_RE = re.compile(re.escape(APP_LABEL_PREFIX) + f"({DEPLOYMENT_ID_RE.pattern})")
SAFE_METHODS = ("GET", "HEAD")

CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".xml": "application/xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
}
# Files are written as UTF-8 text; say so, so a browser never has to guess.
TEXT_TYPES = ("text/", "application/json", "application/manifest+json", "application/xml", "image/svg+xml")

CSP_WITHOUT_ANCESTORS = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def preview_deployment_id(request: HttpRequest) -> tuple[bool, str | None]:
    """(is a preview host, the deployment id it names or serves, or None). Case-insensitive; the port is
    ignored."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return False, None
    domain, _port = split_domain_port(host)
    preview_domain = settings.PREVIEW_DOMAIN
    if domain == preview_domain:
        return True, None
    if not domain.endswith(f".{preview_domain}"):
        return False, None
    label = domain.removesuffix(f".{preview_domain}")
    if DEPLOYMENT_ID_RE.fullmatch(label):
        return True, label
    app = APP_LABEL_RE.fullmatch(label)
    if app is None:
        return True, None
    # The app's stable origin: whichever of its deployments is the newest ready one, looked up per request.
    latest = deployment_get_latest_served(agent_id=app.group(1))
    return True, (str(latest.pk) if latest is not None else None)


def atelier_origins() -> list[str]:
    """The origins the Atelier workspace is served on: the only ones allowed to frame a preview.

    ATELIER_PUBLIC_ORIGIN when set (one origin, or several separated by commas or spaces). Otherwise the
    non-preview ALLOWED_HOSTS with the preview scheme: any port over http (development), the default
    port over https. Wildcard and IPv6-literal hosts are left out (CSP cannot name them safely).
    """
    if settings.PUBLIC_ORIGIN:
        origins = settings.PUBLIC_ORIGIN.replace(",", " ").split()
        if any(not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:(\d+|\*))?", origin.rstrip("/")) for origin in origins):
            raise ImproperlyConfigured("ATELIER_PUBLIC_ORIGIN must be origins like https://atelier.example.com.")
        return [origin.rstrip("/") for origin in origins]
    scheme = settings.PREVIEW_SCHEME
    port = ":*" if scheme == "http" else ""
    preview_domain = settings.PREVIEW_DOMAIN
    origins = []
    for host in settings.ALLOWED_HOSTS:
        host = host.lower()
        if host.startswith(".") or host == "*" or ":" in host or "[" in host:
            continue
        if host == preview_domain or host.endswith(f".{preview_domain}"):
            continue
        origin = f"{scheme}://{host}{port}"
        if origin not in origins:
            origins.append(origin)
    return origins


def content_security_policy() -> str:
    ancestors = " ".join(atelier_origins()) or "'none'"
    return f"{CSP_WITHOUT_ANCESTORS}; frame-ancestors {ancestors}"


def content_type_for(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if content_type.startswith(TEXT_TYPES):
        content_type += "; charset=utf-8"
    return content_type


class PreviewOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_preview, deployment_id = preview_deployment_id(request)
        if not is_preview:
            return self.get_response(request)
        return self._secure(self._serve(request, deployment_id))

    def _serve(self, request: HttpRequest, deployment_id: str | None) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            response = _plain("Method not allowed.\n", status=405)
            response["Allow"] = ", ".join(SAFE_METHODS)
            return response
        relative_path = file_path_for_url(request.path_info)
        if deployment_id is None or relative_path is None:
            return _not_found()
        if deployment_get_served(deployment_id=deployment_id) is None:
            return _not_found()
        file = storage.resolve(deployment_id=deployment_id, relative_path=relative_path)
        if file is None:
            return _not_found()

        body = file.read_bytes()
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        # Content never changes within a deployment: "no-cache" plus an ETag revalidates cheaply.
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return not_modified
        response = HttpResponse(b"" if request.method == "HEAD" else body, content_type=content_type_for(file.name))
        response["Content-Length"] = str(len(body))
        response["ETag"] = etag
        return response

    def _secure(self, response: HttpResponse) -> HttpResponse:
        response["Content-Security-Policy"] = content_security_policy()
        response["X-Content-Type-Options"] = "nosniff"
        response["Referrer-Policy"] = "no-referrer"
        response["Cross-Origin-Resource-Policy"] = "same-site"
        response["Cache-Control"] = "no-cache"
        return response


def _plain(text: str, *, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _not_found() -> HttpResponse:
    return _plain("Not found.\n", status=404)
