"""A real server and a real browser for the web UI tests.

pytest-django's live_server speaks only HTTP, and the workspace lives on a WebSocket, so the session
starts daphne itself, on a free port, against a SQLite file in a temporary folder (after `migrate`),
with the offline model writing quickly. Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "a-Strong-passw0rd-for-tests"
SLOW_CHUNK_DELAY = 0.005
_usernames = itertools.count(1)
HOME_URL = re.compile(r"^http://[^/]+/$")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not become healthy in {timeout} s:\n{log.read_text()[-3000:]}")


class Server:
    def __init__(self, url: str, log: Path):
        self.url = url
        self.log = log


def _server_env(data: Path, *, chunk_delay: float) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}",
        "ATELIER_DATA_DIR": str(data),
        "ATELIER_OFFLINE_CHUNK_DELAY": str(chunk_delay),
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }
    # The defaults under test: embedded layer and tasks, preview port taken from the request.
    for inherited in ("REDIS_URL", "ATELIER_PREVIEW_PORT", "ATELIER_TASKS_BACKEND", "ALLOWED_HOSTS", "ATELIER_TESTING"):
        env.pop(inherited, None)
    return env


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """One `migrate`, copied for each server (it is the slowest part of starting one)."""
    data = tmp_path_factory.mktemp("atelier-migrated")
    env = _server_env(data, chunk_delay=0)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    return data / "db.sqlite3"


@contextmanager
def _running_server(data: Path, migrated: Path, *, chunk_delay: float):
    port = _free_port()
    env = _server_env(data, chunk_delay=chunk_delay)
    shutil.copyfile(migrated, data / "db.sqlite3")
    log = data / "daphne.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield Server(url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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


class JsErrors(list):
    """Console errors and uncaught exceptions of every page (and frame) of one browser context."""

    def __init__(self):
        super().__init__()
        self.allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        """Tolerate console errors matching `pattern` (the browser logs every 4xx a test provokes)."""
        self.allowed.append(re.compile(pattern))

    def watch(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.append(f"pageerror on {page.url}: {error}"))

    def _console(self, message) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.allowed):
            self.append(f"console.error: {message.text} ({message.location.get('url', '')})")


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


def sign_up(page, username: str | None = None) -> str:
    """Create an account through the sign-up page; the browser ends up signed in on the home page."""
    username = username or f"tester{next(_usernames)}x{os.getpid()}"
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(HOME_URL)
    return username


@pytest.fixture
def signed_in(page):
    sign_up(page)
    return page


def create_app(page, query: str) -> str:
    """Create an app through the codegen API from the signed-in page (reading the stream to its end)."""
    return page.evaluate(
        """async (query) => {
            const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken=")).split("=")[1];
            const response = await fetch("/api/agent/codegen", {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
                body: JSON.stringify({query}),
            });
            const lines = (await response.text()).trim().split("\\n").map((line) => JSON.parse(line));
            if (lines.at(-1).type !== "blueprint") throw new Error(JSON.stringify(lines.at(-1)));
            return lines[0].agentId;
        }""",
        query,
    )
