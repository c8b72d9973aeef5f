"""daphne as Atelier runs it: request bodies are Django's to parse, with Django's limits.

Twisted's HTTP request parses every form POST body itself, into `request.args` that daphne never reads: it
answers a multipart body it cannot parse (no boundary) with an empty 400 before Atelier sees the request,
and keeps a second, unbounded parsed copy of every upload in memory. Django parses bodies anyway.
"""

from __future__ import annotations

from daphne import http_protocol


class DjangoParsedRequest(http_protocol.WebRequest):
    """daphne's request, with Twisted's own form parsing off (its `parsePOSTFormSubmission` switch)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "parsePOSTFormSubmission": False})


def leave_body_parsing_to_django() -> None:
    """daphne's factory builds each connection's requests from this module attribute."""
    http_protocol.WebRequest = DjangoParsedRequest
