"""A real daphne on a free port, against a migrated SQLite copy, and what the browser tests do through it.

pytest-django's live_server speaks only HTTP, and the workspace lives on a WebSocket, so the tests start
daphne themselves, with the offline model writing quickly. Chromium is Debian's, driven by Playwright.
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
        # The UI tests do not need the app opened in a second browser after each phase (tests/agents does it).
        "ATELIER_SELF_CHECK": "false",
    }
    # The defaults under test: embedded layer and tasks, preview port taken from the request.
    for inherited in ("REDIS_URL", "ATELIER_PREVIEW_PORT", "ATELIER_TASKS_BACKEND", "ALLOWED_HOSTS", "ATELIER_TESTING"):
        env.pop(inherited, None)
    return env


@contextmanager
def _running_server(data: Path, migrated: Path, *, chunk_delay: float, **overrides: str):
    port = _free_port()
    env = {**_server_env(data, chunk_delay=chunk_delay), **overrides}
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
