"""Open a page in headless Chromium and report what a user would see break: the browser half of the self-check.

What it collects: console errors, uncaught exceptions (`pageerror`, with file and line from the stack),
requests for the app's own files that fail (a 404 of a file `index.html` references), requests that leave
the origin (blocked), a screenshot, and the errors that clicking each visible button once provokes.

The network is the page's origin only, and the caller serves it: every request is intercepted
(`page.route`), those for the origin are answered by `serve(path)`, all others are aborted, and DNS
resolves nothing (`--host-resolver-rules`), so neither a fetch nor a WebSocket reaches anywhere. The page
keeps its real URL, so what depends on the origin (storage, CSP, relative URLs) behaves as for the user.

Pure Python (Playwright's sync API), no Django: the caller passes the settings and the server.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlsplit

from agents.problems import Problem

# (status, headers, body) for a path (with its query) of the page's origin.
Serve = Callable[[str], tuple[int, dict[str, str], bytes]]

MAX_PROBLEMS = 10  # a page that throws in a loop must not flood the fix prompt
MAX_MESSAGE_CHARS = 500
MAX_BUTTONS = 30
SETTLE_MS = 300  # after the load and after each click: timers and promise callbacks get to run
VIEWPORT = {"width": 1024, "height": 640}
BUTTONS = "button, input[type=button], input[type=submit], [role=button]"
# Chromium repeats each failed request as a console error; the request itself is reported instead.
_REQUEST_CONSOLE_NOISE = "Failed to load resource"

# One Chromium at a time per process: the machine's cores are shared with the runs that wait.
_one_browser = threading.Lock()


@dataclass
class BrowserReport:
    problems: list[Problem] = field(default_factory=list)
    screenshot: bytes | None = None  # PNG
    skipped: str = ""  # why the check did not run, for the user; "" when it ran
    seconds: float = 0.0
    buttons_clicked: int = 0


def unavailable(chromium: str) -> str:
    """Why a check cannot run here, or "" when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed in the worker, so the app was not opened in a browser."
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        return f"Chromium was not found at {chromium}, so the app was not opened in a browser."
    return ""


def check_page(*, url: str, serve: Serve, chromium: str, timeout: float) -> BrowserReport:
    """Load `url` (served by `serve`), click each visible button once, screenshot; within `timeout` seconds."""
    reason = unavailable(chromium)
    if reason:
        return BrowserReport(skipped=reason)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _check(url=url, serve=serve, chromium=chromium, timeout=timeout)
    # Playwright's sync API refuses a thread with a running event loop: use a thread of our own.
    result: list[BrowserReport | BaseException] = []

    def work() -> None:
        try:
            result.append(_check(url=url, serve=serve, chromium=chromium, timeout=timeout))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result.append(exc)

    thread = threading.Thread(target=work, name="self-check", daemon=True)
    thread.start()
    thread.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


class _Collector:
    """Turns the page's events into problems, deduplicated, at most MAX_PROBLEMS."""

    def __init__(self, origin: str):
        self.origin = origin
        self.problems: list[Problem] = []
        self.during = "while the page loaded"
        self._seen: set[str] = set()
        self._failed_urls: set[str] = set()

    def file_of(self, url: str) -> str | None:
        """The app's file a URL of the origin stands for (`/` is index.html), or None for other origins."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return None
        path = unquote(parts.path).lstrip("/")
        return path + "index.html" if path == "" or path.endswith("/") else path

    def add(self, problem: Problem, *, same_as: object = None) -> None:
        """Keep `problem` unless one like it (same `same_as`, else same message) is already kept."""
        key = same_as if same_as is not None else problem.message
        if key not in self._seen and len(self.problems) < MAX_PROBLEMS:
            self._seen.add(key)
            if len(problem.message) > MAX_MESSAGE_CHARS:  # a page controls its error texts: keep frames small
                problem = replace(problem, message=problem.message[: MAX_MESSAGE_CHARS - 1] + "…")
            self.problems.append(problem)

    def on_page_error(self, error) -> None:
        file, line, column = self._first_frame(error.stack or "")
        name = error.name or "Error"
        where = f"{file}, line {line}: " if file and line else ""
        self.add(
            Problem(
                code="RUNTIME_ERROR",
                file=file,
                line=line,
                column=column,
                message=f"{where}Uncaught {name}: {error.message} ({self.during})",
            ),
            same_as=(name, error.message, file, line, column),  # once, however many clicks reload the page
        )

    def _first_frame(self, stack: str) -> tuple[str | None, int | None, int | None]:
        # V8 frames read "at fn (http://host/app.js:12:5)" or "at http://host/app.js:12:5".
        for raw in stack.splitlines()[1:]:
            text = raw.strip().removeprefix("at ").rstrip(")")
            location = text.rsplit("(", 1)[-1]
            url, _, numbers = location.rpartition(":")
            url, _, line = url.rpartition(":")
            file = self.file_of(url)
            if file and line.isdigit() and numbers.isdigit():
                return file, int(line), int(numbers)
        return None, None, None

    def on_console(self, message) -> None:
        if message.type != "error" or message.text.startswith(_REQUEST_CONSOLE_NOISE):
            return
        location = message.location or {}
        file = self.file_of(location.get("url", ""))
        line = location.get("lineNumber")
        line = line + 1 if file and isinstance(line, int) else None  # Playwright counts lines from 0
        where = f"{file}, line {line}: " if file and line else ""
        self.add(
            Problem(
                code="CONSOLE_ERROR",
                file=file,
                line=line,
                message=f"{where}console error: {message.text} ({self.during})",
            ),
            same_as=("console", message.text, file, line),
        )

    def on_response(self, response) -> None:
        file = self.file_of(response.url)
        if file is None or response.status < 400:
            return
        self._failed_urls.add(response.url)
        page = self.file_of(response.frame.url) if response.frame else None
        by = f"{page} loads" if page and page != file else "The app loads"
        self.add(
            Problem(
                code="MISSING_FILE" if response.status == 404 else "FAILED_REQUEST",
                file=file,
                message=f"{by} {file}, which answers {response.status}"
                + (": it is not a file of the app" if response.status == 404 else ""),
            )
        )

    def on_request_failed(self, request) -> None:
        if request.url in self._failed_urls or request.url.startswith(("data:", "blob:")):
            return
        page = self.file_of(request.frame.url) if request.frame else None
        if self.file_of(request.url) is None:
            self.add(
                Problem(
                    code="BLOCKED_REQUEST",
                    file=page,
                    message=f"The app loads {request.url} from the network; a preview loads only the app's files",
                )
            )


def _check(*, url: str, serve: Serve, chromium: str, timeout: float) -> BrowserReport:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with _one_browser:
        started = time.monotonic()
        deadline = started + timeout

        def left_ms(cap: float | None = None) -> float:
            remaining = max(0.0, deadline - time.monotonic()) * 1000
            return max(1.0, min(remaining, cap) if cap is not None else remaining)

        parts = urlsplit(url)
        collector = _Collector(f"{parts.scheme}://{parts.netloc}")
        report = BrowserReport()

        def route(route) -> None:
            request_url = route.request.url
            if collector.file_of(request_url) is None:
                route.abort("blockedbyclient")
                return
            target = urlsplit(request_url)
            status, headers, body = serve(target.path + (f"?{target.query}" if target.query else ""))
            route.fulfill(status=status, headers=headers, body=body)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                timeout=left_ms(),
                # Nothing resolves: what page.route does not see (a WebSocket, a prefetch) goes nowhere.
                args=["--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking"],
            )
            try:
                context = browser.new_context(viewport=VIEWPORT, service_workers="block", accept_downloads=False)
                page = context.new_page()
                page.route("**/*", route)
                page.on("pageerror", collector.on_page_error)
                page.on("console", collector.on_console)
                page.on("response", collector.on_response)
                page.on("requestfailed", collector.on_request_failed)
                page.on("dialog", lambda dialog: dialog.dismiss())
                page.on("popup", lambda popup: popup.close())
                try:
                    page.goto(url, wait_until="load", timeout=left_ms())
                    page.wait_for_timeout(left_ms(SETTLE_MS))
                    report.buttons_clicked = _click_buttons(page, collector, url=url, left_ms=left_ms)
                    report.screenshot = page.screenshot(type="png", timeout=left_ms(), animations="disabled")
                except PlaywrightError as exc:
                    if time.monotonic() < deadline:
                        raise
                    why = exc.message.splitlines()[0]
                    message = f"The page did not finish loading and reacting within {timeout:g} s ({why})"
                    collector.add(Problem(code="CHECK_TIMEOUT", message=message))
            finally:
                browser.close()
        report.problems = collector.problems
        report.seconds = round(time.monotonic() - started, 2)
        return report


def _click_buttons(page, collector: _Collector, *, url: str, left_ms: Callable[..., float]) -> int:
    """Click each visible, enabled button once (in document order); the page is reopened if one navigates."""
    from playwright.sync_api import Error as PlaywrightError

    clicked = 0
    count = min(page.locator(BUTTONS).count(), MAX_BUTTONS)
    for index in range(count):
        button = page.locator(BUTTONS).nth(index)
        try:
            if not (button.is_visible() and button.is_enabled()):
                continue
            label = " ".join((button.inner_text(timeout=left_ms(1000)) or button.get_attribute("value") or "").split())
            collector.during = f"after clicking the button {label[:60]!r}" if label else "after clicking a button"
            button.click(timeout=left_ms(2000), no_wait_after=True)
            clicked += 1
            page.wait_for_timeout(left_ms(SETTLE_MS))
        except PlaywrightError:
            if left_ms() <= 1:
                raise
            continue  # covered, detached or re-rendered: that is not the app's error
        if page.url.split("#")[0] != url.split("#")[0]:
            page.goto(url, wait_until="load", timeout=left_ms())
    collector.during = "while the page loaded"
    return clicked
