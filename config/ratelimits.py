"""Rate limits on top of django-ratelimit's counters, raising one domain exception.

Both views and the WebSocket consumer call `enforce()`, so a limit reads the same everywhere.
"""

from __future__ import annotations

from django_ratelimit.core import _split_rate, get_usage

from config.errors import RateLimited


def enforce(*, request, group: str, key, rate: str, message: str, increment: bool = True) -> None:
    """Count one hit against `group` for `key`; raise RateLimited when over `rate`."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    if usage is not None and usage["should_limit"]:
        limit, period = _split_rate(rate)
        retry = max(1, int(usage["time_left"]))
        raise RateLimited(
            f"{message} Try again in {retry} seconds.",
            limit=limit,
            period_seconds=period,
            retry_after_seconds=retry,
        )
