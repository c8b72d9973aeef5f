"""One JSON envelope for every API error (docs/architecture.md §8), and the domain exceptions that map onto it.

Services raise `AtelierError` subclasses (the family lives in config.failures, which renders all three wire
shapes); DRF views get them turned into the envelope by
`exception_handler`; plain Django responses under `/api/` (404, 405, 500) are rewritten by
`JsonErrorMiddleware`; django-ratelimit refusals become 429 with `Retry-After`.
"""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.failures import AtelierError, failure_of

logger = logging.getLogger(__name__)


class InvalidInput(AtelierError):
    type, status = "INVALID_INPUT", 400


class Unauthorized(AtelierError):
    type, status = "UNAUTHORIZED", 401


class NotFound(AtelierError):
    type, status = "NOT_FOUND", 404


class Forbidden(AtelierError):
    type, status = "FORBIDDEN", 403


class Conflict(AtelierError):
    type, status = "CONFLICT", 409


class PayloadTooLarge(AtelierError):
    type, status = "PAYLOAD_TOO_LARGE", 413


class ProviderFailed(AtelierError):
    type, status = "PROVIDER_ERROR", 502


class RateLimited(AtelierError):
    type, status = "RATE_LIMITED", 429

    def __init__(self, message: str, *, limit: int, period_seconds: int, retry_after_seconds: int):
        super().__init__(
            message,
            details={
                "limit": limit,
                "period_seconds": period_seconds,
                "retry_after_seconds": retry_after_seconds,
            },
        )
        self.retry_after_seconds = retry_after_seconds


def error_body(error_type: str, message: str, details: dict | None = None) -> dict:
    error: dict = {"type": error_type, "message": message}
    if details is not None:
        error["details"] = details
    return {"success": False, "error": error}


def error_response(error_type: str, message: str, status: int, details: dict | None = None) -> JsonResponse:
    response = JsonResponse(error_body(error_type, message, details), status=status)
    if status == 429 and details and "retry_after_seconds" in details:
        response["Retry-After"] = str(details["retry_after_seconds"])
    return response


def _first_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        field, value = next(iter(detail.items()))
        inner = _first_message(value)
        return inner if field == "non_field_errors" else f"{field}: {inner}"
    return str(detail)


def request_body_refusal(exc: Exception) -> AtelierError | None:
    """Django's refusals of a request body (too large, too many fields or files, broken multipart) as the
    client errors they are; Django raises them from `request.body` / `request.POST`, inside the view."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return PayloadTooLarge(f"Request body larger than {limit} MiB.", details={"limit_bytes": limit * 1024 * 1024})
    if isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return InvalidInput(f"More than {limit} form fields.", details={"limit": limit})
    if isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return InvalidInput(f"More than {limit} files.", details={"limit": limit})
    if isinstance(exc, MultiPartParserError):
        return InvalidInput(f"Malformed multipart body: {exc}")
    return None


def exception_handler(exc, context):
    """DRF's handler, with every error put into the envelope."""
    exc = request_body_refusal(exc) or exc
    if isinstance(exc, AtelierError):
        failure = failure_of(exc)
        response = Response(failure.envelope(), status=failure.status)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after_seconds)
        return response
    if isinstance(exc, Ratelimited):
        exc = drf_exceptions.Throttled(wait=60)
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(error_body("INTERNAL", "Something went wrong on our side."), status=500)

    if isinstance(exc, drf_exceptions.ParseError):
        body = error_body("INVALID_INPUT", f"Malformed request body: {exc.detail}")
    elif isinstance(exc, drf_exceptions.ValidationError):
        body = error_body("INVALID_INPUT", _first_message(exc.detail), {"fields": exc.detail})
    elif isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        body = error_body("UNAUTHORIZED", str(exc.detail))
        response.status_code = 401
    elif isinstance(exc, drf_exceptions.PermissionDenied):
        body = error_body("FORBIDDEN", str(exc.detail))
    elif isinstance(exc, drf_exceptions.NotFound):
        body = error_body("NOT_FOUND", "Not found.")
    elif isinstance(exc, drf_exceptions.Throttled):
        wait = math.ceil(exc.wait or 1)
        body = error_body(
            "RATE_LIMITED",
            f"Too many requests. Try again in {wait} seconds.",
            {"limit": None, "period_seconds": None, "retry_after_seconds": wait},
        )
        response["Retry-After"] = str(wait)
    elif isinstance(exc, drf_exceptions.UnsupportedMediaType | drf_exceptions.MethodNotAllowed):
        body = error_body("INVALID_INPUT", str(exc.detail))
    else:
        body = error_body("INVALID_INPUT" if response.status_code < 500 else "INTERNAL", _first_message(exc.detail))
    response.data = body
    return response


def ratelimited(request, exception):
    """RATELIMIT_VIEW: a plain Django view refused by django-ratelimit."""
    return error_response(
        "RATE_LIMITED",
        "Too many requests. Try again later.",
        429,
        {"limit": None, "period_seconds": None, "retry_after_seconds": 60},
    )


class JsonErrorMiddleware:
    """Keep the envelope for plain Django responses under /api/ (unknown URL, wrong method, crash)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            return error_response("NOT_FOUND", "Not found.", 404)
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            wrapped = error_response("INVALID_INPUT", f"Method {request.method} not allowed.", 405)
            if allowed:
                wrapped["Allow"] = allowed
            return wrapped
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        exception = request_body_refusal(exception) or exception
        if isinstance(exception, AtelierError):
            failure = failure_of(exception)
            response = JsonResponse(failure.envelope(), status=failure.status)
            if isinstance(exception, RateLimited):
                response["Retry-After"] = str(exception.retry_after_seconds)
            return response
        if isinstance(exception, Http404):
            return error_response("NOT_FOUND", "Not found.", 404)
        logger.exception("Unhandled error on %s", request.path, exc_info=exception)
        return error_response("INTERNAL", "Something went wrong on our side.", 500)
