"""`git clone http://<user>:<token>@host/api/agent/<id>/git`: git's smart HTTP protocol, read-only.

Authentication is HTTP Basic with the user's API token as the password (the user name is not checked: the
token names the user, as on hosted git services). git sends credentials only after a 401 with
`WWW-Authenticate: Basic`, so every request without valid credentials gets exactly that, for existing and
unknown apps alike; a signed-in user who does not own the app gets 404. Nothing can be pushed.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import logging
import uuid
import zlib

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from dulwich.protocol import ReceivableProtocol
from dulwich.server import Backend, UploadPackHandler
from rest_framework.authtoken.models import Token

from agents import selectors, versions
from config.errors import error_response

logger = logging.getLogger(__name__)

SERVICE = "git-upload-pack"
MAX_REQUEST_BYTES = 1024 * 1024  # a clone or fetch sends wants and haves: small


class _OneRepository(Backend):
    def __init__(self, repo):
        self.repo = repo

    def open_repository(self, path):
        return self.repo


def _basic_auth_user(request):
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 1024:
        return None
    try:
        _username, sep, key = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not sep or not key or len(key) > 64:
        return None
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


def _unauthorized() -> HttpResponse:
    response = error_response("UNAUTHORIZED", "Sign in with your user name and API token.", 401)
    response["WWW-Authenticate"] = 'Basic realm="Atelier", charset="UTF-8"'
    return response


def _git_response(body: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-cache, max-age=0, must-revalidate"
    response["Expires"] = "Fri, 01 Jan 1980 00:00:00 GMT"
    return response


def _request_body(request) -> bytes | None:
    """The request body, un-gzipped when git compressed it; None when too large or not valid gzip."""
    body = request.body
    if request.headers.get("Content-Encoding", "").lower() in ("gzip", "x-gzip"):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
                body = unzipped.read(MAX_REQUEST_BYTES + 1)
        except (OSError, EOFError, zlib.error):
            return None
    return None if len(body) > MAX_REQUEST_BYTES else body


def _run_upload_pack(repo, body: bytes, *, advertise: bool) -> bytes:
    out = io.BytesIO()
    proto = ReceivableProtocol(io.BytesIO(body).read, out.write)
    handler = UploadPackHandler(_OneRepository(repo), ["/"], proto, stateless_rpc=True, advertise_refs=advertise)
    if advertise:
        proto.write_pkt_line(f"# service={SERVICE}\n".encode())
        proto.write_pkt_line(None)
    handler.handle()
    return out.getvalue()


@csrf_exempt  # Basic credentials only, never the session cookie: nothing for a cross-site request to ride on
def git_smart_http(request, agent_id, rest=""):
    user = _basic_auth_user(request)
    if user is None:
        return _unauthorized()
    try:
        agent = selectors.agent_get_for_user(user=user, agent_id=uuid.UUID(agent_id))
    except ValueError:
        agent = None
    if agent is None:
        return error_response("NOT_FOUND", "No such app.", 404)
    rest = rest or ""
    if rest == "/info/refs" and request.method in ("GET", "HEAD"):
        service = request.GET.get("service", "")
        if service != SERVICE:
            return error_response("FORBIDDEN", "This repository is read-only, over git's smart HTTP protocol.", 403)
        body = _run_upload_pack(versions.repository(agent=agent), b"", advertise=True)
        return _git_response(body, f"application/x-{SERVICE}-advertisement")
    if rest == f"/{SERVICE}" and request.method == "POST":
        if request.content_type != f"application/x-{SERVICE}-request":
            return error_response("INVALID_INPUT", f"Expected Content-Type application/x-{SERVICE}-request.", 400)
        body = _request_body(request)
        if body is None:
            return error_response("INVALID_INPUT", "The request is not a valid, small git request.", 400)
        try:
            result = _run_upload_pack(versions.repository(agent=agent), body, advertise=False)
        except Exception:  # noqa: BLE001 - a malformed request from a client, not our failure: 400, logged
            logger.warning("Refused a malformed git-upload-pack request for agent %s", agent.pk, exc_info=True)
            return error_response("INVALID_INPUT", "The git request could not be read.", 400)
        return _git_response(result, f"application/x-{SERVICE}-result")
    if rest.endswith("git-receive-pack"):
        return error_response("FORBIDDEN", "This repository is read-only.", 403)
    return error_response("NOT_FOUND", "Not found.", 404)
