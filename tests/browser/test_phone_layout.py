"""Phone and tablet widths: no page scrolls sideways, and the workspace becomes tabs on a narrow screen.

The widths are the smallest phone still sold (320 px), a common phone (390 px) and a tablet (768 px).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import ARTIFACTS, create_app, sign_up

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 768)
GENERATION_TIMEOUT = 45_000


def overflow(page) -> dict:
    """How far the page is wider than the window, and the widest elements that stick out (for the message)."""
    return page.evaluate("""() => {
        const width = innerWidth;
        const culprits = [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > width + 0.5 && e.getClientRects().length)
            .slice(0, 6)
            .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join(".")} ` +
                         `right=${Math.round(e.getBoundingClientRect().right)}`);
        return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, culprits};
    }""")


def assert_fits(page, what: str) -> None:
    seen = overflow(page)
    assert seen["scrollWidth"] <= seen["innerWidth"], f"{what} scrolls sideways: {seen}"


def test_no_page_scrolls_sideways_at_phone_and_tablet_widths(browser, server):
    visitor = browser.new_context(base_url=server.url, viewport={"width": 320, "height": 700})
    member = browser.new_context(base_url=server.url, viewport={"width": 320, "height": 700})
    try:
        anonymous = visitor.new_page()
        page = member.new_page()
        sign_up(page)
        agent_id = create_app(page, "a todo list")
        # A long unbroken title and query are what a real list shows; they must wrap or be cut, not widen it.
        create_app(page, "a-dashboard-for-" + "x" * 120)
        page.goto(f"/apps/{agent_id}/")
        expect(page.locator("#ws-status")).to_have_text("Complete", timeout=GENERATION_TIMEOUT)
        for width in WIDTHS:
            for context_page in (anonymous, page):
                context_page.set_viewport_size({"width": width, "height": 760})
            for path in ("/accounts/login/", "/accounts/signup/"):
                anonymous.goto(path)
                assert_fits(anonymous, f"{path} at {width} px (logged out)")
            anonymous.goto("/")
            assert_fits(anonymous, f"/ at {width} px (logged out)")
            for path in ("/", "/apps/", "/settings/"):
                page.goto(path)
                assert_fits(page, f"{path} at {width} px")
                if width == 320:
                    ARTIFACTS.mkdir(exist_ok=True)
                    shot = ARTIFACTS / f"phone-320{path.replace('/', '-')}.png"
                    page.screenshot(path=str(shot), full_page=True)
            page.goto(f"/apps/{agent_id}/")
            expect(page.locator("#ws-connection")).to_have_text("Live")
            for tab in ("Plan", "Chat", "Code", "Preview", "History"):
                tabs = page.get_by_role("tab", name=re.compile(f"^{tab}"))
                if tabs.count():
                    tabs.click()
                assert_fits(page, f"the workspace's {tab} view at {width} px")
    finally:
        visitor.close()
        member.close()


def test_on_a_phone_the_workspace_is_tabs_and_the_file_being_written_can_be_watched(open_page, slow_server):
    page = open_page(slow_server)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_up(page)
    page.get_by_label("Describe your app").fill("a todo list")
    page.get_by_role("button", name="Build it").click()
    page.wait_for_url(re.compile(r"/apps/[0-9a-f-]{36}/$"))

    tablist = page.get_by_role("tablist", name="Workspace views")
    expect(tablist.get_by_role("tab")).to_have_text(["Plan", "Chat", "Code", re.compile("^Preview"), "History"])
    code = page.get_by_role("tab", name="Code")
    expect(code).to_have_attribute("aria-selected", "true")
    # The file being written streams into view on the Code tab, inside the screen.
    expect(page.locator("#code-state")).to_have_text("Writing…")
    expect(page.locator("#code-text")).not_to_be_empty()
    box = page.locator("#code-body").bounding_box()
    assert box["height"] >= 200 and box["y"] + 100 <= 844, f"the code view should fill the screen: {box}"
    assert_fits(page, "the workspace while a file is written")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone-390-workspace-code.png"))

    page.get_by_role("tab", name="Plan").click()
    expect(page.locator("#phase-list .phase").first).to_be_visible()
    expect(page.locator("#code-body")).to_be_hidden()
    expect(page.get_by_label("Ask for a change")).to_be_hidden()

    page.get_by_role("tab", name="Chat").click()
    expect(page.get_by_label("Ask for a change")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    expect(page.locator("#phase-list")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "phone-390-workspace-chat.png"))

    expect(page.locator("#ws-status")).to_have_text("Complete", timeout=GENERATION_TIMEOUT)
    page.get_by_role("tab", name=re.compile("^Preview")).click()
    expect(page.locator("#preview-status")).to_have_text("Live")
    expect(page.locator("#preview-frame")).to_be_visible()
    frame_box = page.locator("#preview-frame").bounding_box()
    assert frame_box["width"] <= 390 and frame_box["height"] >= 300, frame_box
    assert_fits(page, "the workspace's preview")
    page.screenshot(path=str(ARTIFACTS / "phone-390-workspace-preview.png"))

    # Back on a wide screen Plan and Chat sit beside the code again.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.locator("#phase-list")).to_be_visible()
    expect(page.get_by_label("Ask for a change")).to_be_visible()
    expect(page.get_by_role("tab", name="Plan")).to_be_hidden()
    expect(page.locator("#panel-preview")).to_be_visible()
    expect(page.locator("#panel-code")).to_be_hidden()
    expect(page.locator("#panel-history")).to_be_hidden()
