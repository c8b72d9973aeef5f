"""Shared fixtures: users and clients, service markers, a fresh channel layer and cache per test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from agents import services
from agents.models import Agent
from tests.support.browser import ROOT, _server_env
from tests.support.factories import AgentFactory, PlannedAgentFactory
from tests.support.services import IN_CI, SERVICE_URLS


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1):
            return True
    except OSError:
        return False


def _service_missing(marker: str) -> str | None:
    if marker in SERVICE_URLS:
        url = SERVICE_URLS[marker]
        return None if _reachable(url) else f"{marker} is not answering at {url}"
    if marker == "browser":
        if not os.path.exists("/usr/bin/chromium"):
            return "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        try:
            import playwright  # noqa: F401
        except ImportError:
            return "playwright is not installed"
    if marker == "sandbox":
        from previews.toolchain import toolchain

        tools = toolchain()
        return None if tools.available else " ".join(tools.reasons)
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests run last, after pytest-django's own ordering. The session's sync Playwright runs an event
    loop on the main thread from the first browser test on, and every synchronous ORM call after that raises
    SynchronousOnlyOperation: a browser test that uses the database (and so is ordered among the
    transactional tests) would otherwise break every test after it."""

    # Browser tests that drive their own Playwright (async, or a sync one they close) run before those using
    # the session's `browser` fixture, whose loop stays on the main thread to the end.
    def rank(item) -> int:
        if item.get_closest_marker("browser") is None:
            return 0
        return 2 if "browser" in getattr(item, "fixturenames", ()) else 1

    items.sort(key=rank)  # stable: the order within each rank is kept


def pytest_runtest_setup(item):
    """Tests needing a service skip without it on a laptop, and fail without it in CI."""
    for marker in ("redis", "postgres", "browser", "sandbox"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _service_missing(marker)
        if reason:
            if IN_CI:
                pytest.fail(f"CI=true and {reason}", pytrace=False)
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_layer_and_cache(settings):
    # A layer bound to a previous test's (closed) loop fails with "attached to a different loop".
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "agents.layers.EventsInMemoryChannelLayer"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def npm_cache(tmp_path_factory):
    """One npm download cache for the whole session: only the first build of a lockfile hits the registry."""
    return tmp_path_factory.mktemp("npm-cache")


@pytest.fixture
def make_user(db, django_user_model):
    counter = iter(range(1, 10_000))

    def make(username: str | None = None, password: str = "a-Strong-passw0rd"):
        user = django_user_model.objects.create_user(username=username or f"user{next(counter)}", password=password)
        user.raw_password = password
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user("ada")


@pytest.fixture
def create_agent(user):
    """Agents of `user` (or `owner`), made by factories: planned as the offline model plans `query`, or just
    asked (blueprint=False). run_planning=True runs the real planning instead, through the configured model,
    for tests whose subject includes it (its events, its usage, the model's answer)."""

    def create(query: str = "a todo list app", owner=None, blueprint: bool = True, run_planning: bool = False) -> Agent:
        if run_planning:
            agent = services.agent_create(owner=owner or user, query=query)
            services.agent_generate_blueprint(agent=agent)
            agent.refresh_from_db()
            return agent
        factory = PlannedAgentFactory if blueprint else AgentFactory
        return factory(owner=owner or user, query=query)

    return create


@pytest.fixture
def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session: sync Playwright allows one instance per thread."""
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: a loaded CI machine is slower than the 5 s default.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """One `migrate`, copied for each server (it is the slowest part of starting one)."""
    data = tmp_path_factory.mktemp("atelier-migrated")
    env = _server_env(data, chunk_delay=0)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    return data / "db.sqlite3"
