"""Base URLs: http(s) only, and no private, loopback, link-local or reserved targets unless allowed."""

import socket

import pytest

from modelconfig.validation import UnsafeURL, validate_base_url


def _resolves_to(monkeypatch, *addresses):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


def _does_not_resolve(monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:11434/v1",
        "http://api.localhost/v1",
        "http://127.0.0.1:8000/v1",
        "http://10.1.2.3/v1",
        "http://192.168.0.10/v1",
        "http://172.16.5.4/v1",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/v1",
        "http://[fe80::1]/v1",
        "http://[::ffff:127.0.0.1]/v1",
        "http://0.0.0.0/v1",
        "http://100.64.0.1/v1",
        "http://240.0.0.1/v1",
        "http://[fd12:3456::1]/v1",
        "http://[::]/v1",
        "http://[64:ff9b::7f00:1]/v1",
        "http://[2002:a00:1::]/v1",
    ],
)
def test_private_and_reserved_addresses_are_refused(url):
    with pytest.raises(UnsafeURL, match="private"):
        validate_base_url(url, allow_private=False)


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "fd00::1"])
def test_hostnames_resolving_to_private_addresses_are_refused(monkeypatch, address):
    _resolves_to(monkeypatch, "93.184.216.34", address)
    with pytest.raises(UnsafeURL, match=address):
        validate_base_url("https://llm.example.com/v1", allow_private=False)


def test_hostname_resolving_to_public_addresses_is_accepted(monkeypatch):
    _resolves_to(monkeypatch, "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert validate_base_url(" https://llm.example.com/v1/ ", allow_private=False) == "https://llm.example.com/v1"


def test_unresolvable_hostname_is_refused(monkeypatch):
    _does_not_resolve(monkeypatch)
    with pytest.raises(UnsafeURL, match="could not be resolved"):
        validate_base_url("https://nowhere.invalid/v1", allow_private=False)


def test_private_addresses_are_accepted_when_allowed():
    assert validate_base_url("http://localhost:11434/v1", allow_private=True) == "http://localhost:11434/v1"
    assert validate_base_url("http://10.0.0.5/v1/", allow_private=True) == "http://10.0.0.5/v1"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://llm.example.com/v1", "http"),
        ("file:///etc/passwd", "http"),
        ("llm.example.com/v1", "http"),
        ("https://user:secret@llm.example.com/v1", "credentials"),
        ("https://llm.example.com/v1?key=1", "query"),
        ("https://llm.example.com:99999/v1", "valid"),
        ("https:///v1", "no host"),
        ("", "Enter"),
        ("https://example.com/" + "a" * 600, "at most"),
    ],
)
def test_malformed_urls_are_refused_even_when_private_is_allowed(url, message):
    with pytest.raises(UnsafeURL, match=message):
        validate_base_url(url, allow_private=True)
