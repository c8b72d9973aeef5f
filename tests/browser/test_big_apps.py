"""An app too big for any frame still opens in a real browser: an 8 MiB file is listed by the snapshot and
fetched when shown (contentsUrl), and 60 long messages page back from the newest (GET …/messages)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.support.browser import ROOT, _server_env, create_app, sign_up

pytestmark = pytest.mark.browser

BIG_FILE_BYTES = 8 * 1024 * 1024
MESSAGES = 60
MESSAGE_CHARS = 20_000

SEED = f"""
from agents.models import Agent, File, Message
agent = Agent.objects.get(pk=AGENT_ID)
content = ''.join('%07d %s\\n' % (i, 'x' * 55) for i in range({BIG_FILE_BYTES} // 64))
File.objects.create(agent=agent, path='big.txt', content=content, sha256=File.digest(content), purpose='data')
File.objects.create(agent=agent, path='index.html', content='<h1>hi</h1>', sha256=File.digest('<h1>hi</h1>'))
for i in range({MESSAGES}):
    text = ('message %02d ' % i).ljust({MESSAGE_CHARS}, 'x')
    Message.objects.create(agent=agent, role='user' if i % 2 == 0 else 'assistant', text=text)
Agent.objects.filter(pk=agent.pk).update(status='complete')
"""


def _seed(server, agent_id: str) -> None:
    """Writes straight into the server's database: no model may write this much (agents/limits.py)."""
    env = _server_env(server.log.parent, chunk_delay=0)
    code = f"AGENT_ID = {agent_id!r}\n{SEED}"
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, timeout=120)


def test_an_app_with_an_8_mib_file_and_60_long_messages_opens_and_shows_everything(open_page, server):
    page = open_page(server)
    sign_up(page)
    agent_id = create_app(page, "a todo list")
    _seed(server, agent_id)
    page.goto(f"/apps/{agent_id}/")
    expect(page.locator("#ws-connection")).to_have_attribute("data-state", "open")
    expect(page.locator("#ws-status")).to_have_text("Complete")

    page.locator('#file-tree [data-path="big.txt"]').click()
    expect(page.locator("#code-path")).to_have_text("big.txt")
    expect(page.locator("#code-state")).to_have_text("data", timeout=30_000)
    shown = page.evaluate("document.getElementById('code-text').textContent")
    assert len(shown) == BIG_FILE_BYTES and shown.startswith("0000000 xxx")

    messages = page.locator("#chat-log .msg")
    newest = messages.count()
    assert 0 < newest < MESSAGES, "the snapshot carried every message: this test proves nothing"
    assert messages.last.inner_text().find(f"message {MESSAGES - 1:02d}") >= 0
    older = page.get_by_role("button", name="Show earlier messages")
    while older.count():
        older.click()
        expect(page.get_by_role("button", name="Loading earlier messages…")).to_have_count(0)
    # Every seeded message, in order, after the request that created the app.
    texts = page.eval_on_selector_all("#chat-log .msg .msg-text", "nodes => nodes.map((n) => n.textContent)")
    seeded = [text[:10] for text in texts if text.startswith("message ")]
    assert seeded == [f"message {i:02d}" for i in range(MESSAGES)]
    assert len(texts) == MESSAGES + 1 and texts[0] == "a todo list"
    expect(page.locator("#ws-connection")).to_have_attribute("data-state", "open")
