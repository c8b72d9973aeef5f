"""One error family for everything a client may be told went wrong, and the one mapping to the wire.

Pure Python (no Django imports), so the provider clients can raise into the family too. Every refusal is an
`AtelierError` carrying a `code` (what happened, for programs: `KEY_REFUSED`, `INVALID_INPUT`), a `type`
(its family in the JSON envelope of docs/architecture.md §8: `PROVIDER_ERROR`, `INVALID_INPUT`, ...), an
HTTP `status` and a `message` a user can act on. `failure_of()` turns any exception into a `Failure`,
which renders the three shapes clients see: the JSON envelope, the NDJSON `error` line and the socket
`error` frame. Anything outside the family is `INTERNAL`, with a message that reveals nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

INTERNAL_MESSAGE = "Something went wrong on our side."


class AtelierError(Exception):
    """A refusal a client should see. Subclasses set `type` and `status`; `code` defaults to `type`."""

    type = "INTERNAL"
    status = 500
    code: str | None = None
    # Whether the same request may succeed later unchanged (a dropped connection, an overloaded provider).
    retryable = False

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code
        if self.code is None:
            self.code = self.type

    @property
    def http_status(self) -> int:
        """The status of the HTTP response that reports it (a provider's error keeps its own `status`)."""
        return self.status


@dataclass(frozen=True)
class Failure:
    """What a client is told about one error, whichever channel it listens on."""

    code: str
    type: str
    message: str
    status: int = 500
    details: dict | None = None

    def error(self) -> dict:
        error: dict = {"type": self.type, "message": self.message}
        if self.code != self.type:
            error["code"] = self.code
        if self.details is not None:
            error["details"] = self.details
        return error

    def envelope(self) -> dict:
        """The JSON body of an HTTP error response."""
        return {"success": False, "error": self.error()}

    def ndjson_line(self) -> dict:
        """The last line of an NDJSON stream that failed."""
        return {"type": "error", "error": self.error()}

    def socket_frame(self) -> dict:
        """The fields of a WebSocket `error` frame (beside `type` and `seq`)."""
        return {"error": self.message, "code": self.code}


def failure_of(exc: BaseException) -> Failure:
    """The Failure a client sees for `exc`: its own words for the family, INTERNAL for anything else."""
    if isinstance(exc, AtelierError):
        return Failure(code=exc.code, type=exc.type, message=exc.message, status=exc.http_status, details=exc.details)
    return Failure(code="INTERNAL", type="INTERNAL", message=INTERNAL_MESSAGE)


# The envelope's families (docs/architecture.md §8). A code that is not one of them names a cause within
# PROVIDER_ERROR (the provider or the model did it): KEY_REFUSED, INSUFFICIENT_QUOTA, INVALID_OUTPUT, ...
ENVELOPE_TYPES = frozenset(
    {
        "INVALID_INPUT",
        "UNAUTHORIZED",
        "FORBIDDEN",
        "NOT_FOUND",
        "RATE_LIMITED",
        "PAYLOAD_TOO_LARGE",
        "CONFLICT",
        "PROVIDER_ERROR",
        "INTERNAL",
    }
)


def failure(*, code: str, message: str) -> Failure:
    """A Failure known by its code and message only (an `error` event a run emitted, an agent's error)."""
    return Failure(code=code, type=code if code in ENVELOPE_TYPES else "PROVIDER_ERROR", message=message)
