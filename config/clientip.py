"""The client's IP address, as every rate limit and the login lockout see it.

Behind `ATELIER_TRUSTED_PROXY_COUNT` reverse proxies that each append the address they were connected
from to `X-Forwarded-For`, the client is the N-th entry from the right: everything left of it was written
by the client and may be anything. With no proxy (0, the default) the client is the socket's peer,
`REMOTE_ADDR`.

Why not `REMOTE_ADDR` behind proxies: `daphne --proxy-headers` rewrites the ASGI scope's client (and so
`REMOTE_ADDR`) to the *left-most* `X-Forwarded-For` entry, the one the client chose. So with proxies
configured the header is read here, from the right, whatever daphne did with it; and without a proxy,
daphne must run without `--proxy-headers` (docs/deploy.md).

Not django-ipware: its proxy count counts proxy entries inside the header (the nearest proxy being
`REMOTE_ADDR`, which daphne overwrote) and it falls back to other client-settable headers.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

# Shared by every request whose trusted proxy wrote something that is not an address: a misconfiguration,
# so one bucket for all of them rather than one per (possibly client-chosen) value.
UNPARSEABLE = "0.0.0.0"


def client_ip(request) -> str:
    """The address rate limits and django-axes key on (RATELIMIT_IP_META_KEY, AXES_CLIENT_IP_CALLABLE)."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or UNPARSEABLE
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return _normalised(remote)
    # Django joins repeated X-Forwarded-For headers with commas, in order.
    entries = [entry.strip() for entry in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if not entries:
        # Not through the proxies (a health check from inside): daphne left REMOTE_ADDR as the peer.
        return _normalised(remote)
    # Fewer entries than proxies: the request entered after the first proxy; the left-most entry is then
    # the address the outermost proxy it crossed was connected from.
    return _normalised(entries[-count] if len(entries) >= count else entries[0])


def _normalised(value: str) -> str:
    candidate = value
    if candidate.startswith("[") and "]" in candidate:  # "[2001:db8::1]:443"
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:  # "203.0.113.7:51234"
        candidate = candidate.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        logger.warning("Unparseable client address %r: check ATELIER_TRUSTED_PROXY_COUNT", value[:64])
        return UNPARSEABLE
