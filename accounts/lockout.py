"""What a client sees once django-axes has locked its sign-in out (AXES_LOCKOUT_CALLABLE).

The API gets the 429 envelope with `Retry-After`; pages get a plain explanation with the same status.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.shortcuts import render

from config.errors import RateLimited, error_response

MESSAGE = "Too many failed sign-in attempts. Try again in {minutes} minutes."


def locked_out() -> RateLimited:
    """The refusal an API view raises when axes flagged its request as locked out."""
    seconds = settings.LOGIN_COOLOFF_SECONDS
    return RateLimited(
        _message(seconds), limit=settings.LOGIN_FAILURE_LIMIT, period_seconds=seconds, retry_after_seconds=seconds
    )


def _message(seconds: int) -> str:
    return MESSAGE.format(minutes=max(1, math.ceil(seconds / 60)))


def lockout_response(request, original_response=None, credentials=None):
    # axes' async path passes (request, credentials): neither argument is needed here.
    seconds = settings.LOGIN_COOLOFF_SECONDS
    message = _message(seconds)
    if request.path.startswith("/api/"):
        error = locked_out()
        return error_response(error.type, error.message, error.status, error.details)
    response = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
