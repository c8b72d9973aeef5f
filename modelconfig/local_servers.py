"""Model servers running on this machine (Ollama, LM Studio), found so Settings can offer them in one click.

A probe is one GET of the server's OpenAI-compatible `/v1/models` on loopback with a short timeout: it is
made while the settings page renders, so a machine without them costs at most a refused connection each.
Only offered where users may use private URLs (`ALLOW_PRIVATE_PROVIDER_URLS`): otherwise a key pointing
there would be refused anyway.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings

PROBE_TIMEOUT = 0.4  # seconds per server; loopback answers in milliseconds or refuses at once
MAX_MODELS = 20


@dataclass(frozen=True)
class LocalServer:
    name: str
    base_url: str
    models: tuple[str, ...]


KNOWN_SERVERS = (("Ollama", 11434), ("LM Studio", 1234))


def _probe(name: str, port: int) -> LocalServer | None:
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=PROBE_TIMEOUT) as response:  # noqa: S310 - fixed loopback URL
            body = json.loads(response.read(256 * 1024) or b"{}")
    except (OSError, ValueError, urllib.error.URLError):
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    models = tuple(str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id"))[:MAX_MODELS]
    return LocalServer(name=name, base_url=base_url, models=models)


def local_servers(*, known: tuple[tuple[str, int], ...] | None = None) -> list[LocalServer]:
    """The known local model servers that answer now (none unless users may use private URLs)."""
    if not settings.ALLOW_PRIVATE_PROVIDER_URLS:
        return []
    servers = KNOWN_SERVERS if known is None else known
    return [server for name, port in servers if (server := _probe(name, port)) is not None]
