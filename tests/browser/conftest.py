"""A real server and a real browser for the web UI tests (the helpers live in tests/support/browser.py)."""

from __future__ import annotations

import pytest

from tests.support.browser import SLOW_CHUNK_DELAY, JsErrors, Server, _running_server, sign_up


@pytest.fixture(scope="session")
def server(tmp_path_factory, migrated_db):
    """The offline model at full speed: a todo app is planned, written and deployed in about 2 s."""
    with _running_server(tmp_path_factory.mktemp("atelier-fast"), migrated_db, chunk_delay=0.002) as running:
        yield running


@pytest.fixture(scope="session")
def slow_server(tmp_path_factory, migrated_db):
    """A slower offline model, so a test can act while an app is still being written."""
    with _running_server(tmp_path_factory.mktemp("atelier-slow"), migrated_db, chunk_delay=SLOW_CHUNK_DELAY) as running:
        yield running


@pytest.fixture(scope="session")
def self_check_server(tmp_path_factory, migrated_db):
    """The offline model at full speed, with the browser self-check on after each phase."""
    data = tmp_path_factory.mktemp("atelier-self-check")
    with _running_server(data, migrated_db, chunk_delay=0.002, ATELIER_SELF_CHECK="true") as running:
        yield running


@pytest.fixture
def open_page(browser):
    """Opens a page in a fresh browser context on a server; the test fails on any JavaScript error."""
    contexts = []

    def open_(on: Server):
        context = browser.new_context(base_url=on.url, viewport={"width": 1360, "height": 860})
        context.set_default_timeout(15_000)
        context.js_errors = JsErrors()
        context.on("page", context.js_errors.watch)
        contexts.append(context)
        return context.new_page()

    yield open_
    errors = [error for context in contexts for error in context.js_errors]
    for context in contexts:
        context.close()
    assert not errors, "JavaScript errors:\n" + "\n".join(errors)


@pytest.fixture
def page(open_page, server):
    return open_page(server)


@pytest.fixture
def signed_in(page):
    sign_up(page)
    return page
