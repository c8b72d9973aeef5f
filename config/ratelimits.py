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
            f"{message} Try again in {wait_phrase(retry)}.",
            limit=limit,
            period_seconds=period,
            retry_after_seconds=retry,
        )


def wait_phrase(seconds: float) -> str:
    """A wait as people say it: "40 s", "5 min", "11 h 13 min", "2 d 3 h" (rounded up, two units at most).

    static/js/wait.js says the same for the browser.
    """
    total = max(1, int(-(-seconds // 1)))
    if total < 60:
        return f"{total} s"
    minutes = -(-total // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
