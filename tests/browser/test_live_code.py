"""The live code view: what it shows while a file streams is always the start of what is finally saved.

So a rewritten file starts empty (never the old contents with the new stream glued on), and a page reloaded
mid-file shows the saved draft plus what follows, with no fragment repeated or missing.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_up

pytestmark = pytest.mark.browser

GENERATION_TIMEOUT = 60_000

# Records, in page order, every text the code view shows while a file is "Writing…", and every file the
# server reports saved (the socket's file_generated frames, seen before the page handles them).
RECORDER = """
(() => {
    const page = Math.random().toString(36).slice(2);
    const record = (entry) => window.recordCode({page, ...entry});
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener("message", (event) => {
                const frame = JSON.parse(event.data);
                if (frame.type === "file_generated") {
                    record({kind: "saved", path: frame.file.filePath, text: frame.file.fileContents});
                }
            });
        }
    };
    addEventListener("DOMContentLoaded", () => {
        const code = document.getElementById("code-text");
        if (!code) return;
        new MutationObserver(() => {
            if (document.getElementById("code-state").textContent !== "Writing…") return;
            record({kind: "shown", path: document.getElementById("code-path").textContent, text: code.textContent});
        }).observe(code, {subtree: true, childList: true, characterData: true});
    });
})();
"""


def test_the_live_view_of_a_rewritten_or_reloaded_file_is_always_the_start_of_the_saved_file(open_page, slow_server):
    page = open_page(slow_server)
    log: list[dict] = []
    page.expose_binding("recordCode", lambda source, entry: log.append(entry))
    page.add_init_script(RECORDER)
    sign_up(page)
    page.get_by_label("Describe your app").fill("a todo list")
    page.get_by_role("button", name="Build it").click()
    page.wait_for_url(re.compile(r"/apps/[0-9a-f-]{36}/$"))
    expect(page.locator("#file-tree .file-done").first).to_be_visible()
    # Reload while the next file is being written.
    expect(page.locator("#code-state")).to_have_text("Writing…")
    page.reload()
    expect(page.locator("#ws-status")).to_have_text("Complete", timeout=GENERATION_TIMEOUT)

    checked, rewritten, after_reload = 0, set(), 0
    pages = list(dict.fromkeys(entry["page"] for entry in log))
    for index, entry in enumerate(log):
        if entry["kind"] == "saved":
            later = [e for e in log[index + 1 :] if e["page"] == entry["page"] and e["path"] == entry["path"]]
            if later and later[0]["kind"] == "shown":
                # The next time this file is written it is a rewrite: the view starts from nothing.
                rewritten.add(entry["path"])
                assert later[0]["text"] == "", f"the rewrite of {entry['path']} began with {later[0]['text'][:200]!r}"
            continue
        saved = next(
            (
                e
                for e in log[index + 1 :]
                if e["page"] == entry["page"] and e["kind"] == "saved" and e["path"] == entry["path"]
            ),
            None,
        )
        if saved is None:
            continue  # the page was reloaded before this file was saved
        assert saved["text"].startswith(entry["text"]), (
            f"while {entry['path']} was written the view showed text that is not the start of the saved file:\n"
            f"shown: {entry['text'][-300:]!r}\nsaved: {saved['text'][:300]!r}"
        )
        checked += 1
        after_reload += entry["page"] == pages[-1]
    assert rewritten, "the run should rewrite a file while it is watched"
    assert checked and after_reload, f"the view should have been watched before and after the reload: {checked}"
