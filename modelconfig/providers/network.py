"""The HTTP client under both SDKs: redirects never followed, and peers checked after DNS resolution.

Pure Python (no Django). A base URL a user typed makes the server send requests, so such a client
(`public_peers_only`) resolves the host itself, refuses it if any address is loopback, private, link-local,
CGNAT, unique-local, unspecified or otherwise not global, and connects to the address it checked: a name
that resolved to a public address when the key was saved and to 127.0.0.1 now (DNS rebinding) is refused at
connect time. Redirects are off for every client (the SDKs' default follows them), so a public URL cannot
bounce a request to an internal one. The server's own environment (`OPENAI_BASE_URL`, a local Ollama) is
trusted and gets an unrestricted client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpcore2
import httpx2

from modelconfig.validation import UnsafeURL, public_addresses

# As the SDKs' own defaults (DEFAULT_CONNECTION_LIMITS), which a custom transport would otherwise lose.
LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)


class PublicPeersOnly(httpcore2.SyncBackend):
    """An httpcore network backend that connects only to public addresses, checked after resolution."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        try:
            addresses = public_addresses(host, port)
        except UnsafeURL as refusal:
            raise httpcore2.ConnectError(f"refused: {refusal}") from None
        error: Exception | None = None
        for address in addresses:
            try:
                # TLS still verifies (and sends SNI for) `host`: httpcore takes it from the request's origin.
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore2.ConnectError as exc:
                error = exc
        raise error or httpcore2.ConnectError(f"{host} could not be resolved.")


def http_client(
    client_class: Callable[..., httpx2.Client],
    *,
    timeout: float,
    public_peers_only: bool,
    event_hooks: dict[str, list] | None = None,
) -> httpx2.Client:
    """An SDK's httpx client class (`openai.DefaultHttpxClient`...) configured as this module says."""
    transport = httpx2.HTTPTransport(limits=LIMITS, trust_env=not public_peers_only)
    if public_peers_only:
        # httpx has no public knob for httpcore's network backend; the pool reads it per new connection.
        transport._pool._network_backend = PublicPeersOnly()
    return client_class(
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
        # An environment proxy would make the checked peer the proxy, not the provider.
        trust_env=not public_peers_only,
        event_hooks=event_hooks or {},
    )
