"""Chat replies render Markdown, and markup in a reply stays text (no script runs, no image loads).

The reply is written where the server keeps it (a Message row and its durable conversation_response event,
by a `manage.py shell` on the server's own database), then reaches the page the two real ways: replayed
over the socket after a reconnect, and in the snapshot after a reload.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.support.browser import ROOT, _server_env, create_app

pytestmark = pytest.mark.browser

REPLY = (
    "**Done.** I added a `Reset` button:\n\n"
    "- it clears the list\n- it asks first\n\n"
    "```js\nlocalStorage.clear();\n```\n\n"
    "<script>window.__xss = 'script'</script>\n\n"
    "<img src=x onerror=\"window.__xss = 'img'\">\n\n"
    "[a bad link](javascript:window.__xss='link') and ![pixel](http://127.0.0.1:9/pixel.png)"
)

WRITE_REPLY = """
import sys
from agents.events import emit
from agents.models import Message
agent_id, text = sys.argv[1], sys.stdin.read()
Message.objects.create(agent_id=agent_id, role="assistant", text=text)
emit(agent_id, "conversation_response", message=text, conversationId="markdown-test", isStreaming=False)
"""


def write_reply(server, agent_id: str, text: str) -> None:
    env = _server_env(server.log.parent, chunk_delay=0)
    subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{WRITE_REPLY}", agent_id],
        input=text,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )


def expect_safe_markdown(page) -> None:
    reply = page.locator("#chat-log .msg-assistant").last
    expect(reply.locator("strong")).to_have_text("Done.")
    expect(reply.locator("li")).to_have_count(2)
    expect(reply.locator("pre code")).to_contain_text("localStorage.clear();")
    expect(reply).to_contain_text("<script>window.__xss = 'script'</script>")
    expect(reply).to_contain_text("<img src=x onerror=")
    assert reply.locator("script, img, iframe, [onerror]").count() == 0
    assert reply.locator("a[href^='javascript']").count() == 0
    expect(reply.get_by_role("link", name="🖼 pixel")).to_have_attribute("target", "_blank")
    assert page.evaluate("window.__xss") is None, "markup in a reply ran"


def test_a_reply_in_markdown_is_formatted_and_its_html_stays_text(signed_in, server):
    page = signed_in
    agent_id = create_app(page, "a todo list")
    page.goto(f"/apps/{agent_id}/")
    expect(page.locator("#ws-status")).to_have_text("Complete", timeout=45_000)
    expect(page.locator("#ws-connection")).to_have_text("Live")

    write_reply(server, agent_id, REPLY)
    page.evaluate("window.atelierWorkspace.socket.drop()")
    expect(page.locator("#ws-connection")).to_have_text("Live")
    expect_safe_markdown(page)

    page.reload()
    expect(page.locator("#ws-connection")).to_have_text("Live")
    expect_safe_markdown(page)
