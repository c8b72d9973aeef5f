"""Request body parsers: DRF's, with input that crashes them (nesting deeper than Python's recursion limit)
refused as a malformed body instead."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; `json` raises RecursionError, not ValueError, on a deeply nested document."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.")
