"""Where the external services the marked tests need are expected, and whether this is CI."""

from __future__ import annotations

import os

IN_CI = os.environ.get("CI", "").lower() == "true"

SERVICE_URLS = {
    "redis": os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15"),
    "postgres": os.environ.get("POSTGRES_TEST_URL", "postgres://postgres@127.0.0.1:5432/test"),
}
