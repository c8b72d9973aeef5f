"""Provider base URLs a user may point the server at.

Pure (no Django). A user-supplied base URL makes the server send requests, so unless private addresses
are allowed (a single-user or local install talking to Ollama) it must not reach the server's own
network: loopback, private, link-local (cloud metadata), reserved and the like are refused, by literal
address and by what the hostname resolves to.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL_LENGTH = 500
DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeURL(ValueError):
    """The URL is malformed or points somewhere the server must not send requests."""


def validate_base_url(url: str, *, allow_private: bool) -> str:
    """Return `url` normalised (trimmed, no trailing slash) or raise UnsafeURL saying why."""
    url = (url or "").strip()
    if not url:
        raise UnsafeURL("Enter a URL.")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"Use at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("This is not a valid URL.")
    if parts.scheme not in DEFAULT_PORTS:
        raise UnsafeURL("Use an http:// or https:// URL.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURL("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        # Credentials in the URL would be stored unencrypted; the key field is for that.
        raise UnsafeURL("Do not put credentials in the URL; use the API key field.")
    if parts.query or parts.fragment:
        raise UnsafeURL("The URL must not have a query or fragment.")
    if not allow_private:
        check_public_host(host, port or DEFAULT_PORTS[parts.scheme])
    return url.rstrip("/")


def check_public_host(host: str, port: int) -> None:
    """Raise UnsafeURL unless `host` is, or resolves only to, public addresses."""
    public_addresses(host, port)


def public_addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses `host` resolves to, all public; UnsafeURL if any is not (or none resolves)."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeURL(f"{host} is a local address; this server does not allow private provider URLs.")
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        addresses = _resolve(host, port)
    for address in addresses:
        if not is_public_address(address):
            raise UnsafeURL(
                f"{host} points to a private or reserved address ({address}); "
                "this server does not allow private provider URLs."
            )
    return addresses


# IPv6 forms that carry an IPv4 address the packet ends up at (NAT64's well-known prefix).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Global unicast only: not loopback, private, link-local, CGNAT (100.64/10), unique-local (fc00::/7),
    unspecified, multicast or reserved, including IPv4 addresses embedded in IPv6 ones."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL(f"{host} could not be resolved.")
    addresses = []
    for info in infos:
        # Drop an IPv6 zone ("fe80::1%eth0") before parsing.
        addresses.append(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
    if not addresses:
        raise UnsafeURL(f"{host} could not be resolved.")
    return addresses
