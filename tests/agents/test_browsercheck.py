"""What the browser half of the self-check reports about a page, served by the caller. One Chromium launch."""

from __future__ import annotations

import pytest

from agents import browsercheck

ORIGIN = "http://0b7a4a52-5c3e-4d07-9a3d-1f0e6c3b2a10.preview.localhost"
PAGE = b"""<!doctype html><html><head><link rel="stylesheet" href="styles.css"></head><body>
<h1>Broken</h1><button id="go">Go</button><button hidden>Hidden</button>
<img src="https://cdn.example.com/logo.png" alt="">
<script src="app.js"></script><script src="missing.js"></script></body></html>"""
SCRIPT = b"""console.error('boot failed: no config');
document.getElementById('go').addEventListener('click', () => { notDefinedAnywhere(); });
document.getElementById('greeting').textContent = 'Hi';
"""
FILES = {
    "/": ("text/html", PAGE),
    "/styles.css": ("text/css", b"body { margin: 0; }"),
    "/app.js": ("text/javascript", SCRIPT),
}


def serve(path: str):
    if path not in FILES:
        return 404, {"content-type": "text/plain"}, b"Not found.\n"
    content_type, body = FILES[path]
    return 200, {"content-type": content_type}, body


@pytest.mark.browser
def test_a_broken_page_reports_its_errors_with_file_and_line_and_a_screenshot():
    report = browsercheck.check_page(url=f"{ORIGIN}/", serve=serve, chromium="/usr/bin/chromium", timeout=30)

    found = {(p.code, p.file, p.line): p.message for p in report.problems}
    assert report.skipped == ""
    assert found[("RUNTIME_ERROR", "app.js", 3)] == (
        "app.js, line 3: Uncaught TypeError: Cannot set properties of null (setting 'textContent') "
        "(while the page loaded)"
    )
    assert found[("RUNTIME_ERROR", "app.js", 2)].endswith(
        "Uncaught ReferenceError: notDefinedAnywhere is not defined (after clicking the button 'Go')"
    )
    assert found[("CONSOLE_ERROR", "app.js", 1)] == (
        "app.js, line 1: console error: boot failed: no config (while the page loaded)"
    )
    assert found[("MISSING_FILE", "missing.js", None)] == (
        "index.html loads missing.js, which answers 404: it is not a file of the app"
    )
    assert ("BLOCKED_REQUEST", "index.html", None) in found
    assert len(report.problems) == 5
    assert report.buttons_clicked == 1  # the hidden button is not clicked
    assert report.screenshot.startswith(b"\x89PNG")


def test_a_missing_chromium_skips_the_check_and_says_why():
    report = browsercheck.check_page(url=f"{ORIGIN}/", serve=serve, chromium="/nowhere/chromium", timeout=5)

    assert report.skipped == "Chromium was not found at /nowhere/chromium, so the app was not opened in a browser."
    assert report.problems == [] and report.screenshot is None
