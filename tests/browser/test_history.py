"""The History panel in a real browser: versions appear live, a diff opens, Restore and Undo change the preview."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_web_ui import GENERATION_TIMEOUT, build, expect_complete
from tests.support.browser import ARTIFACTS

pytestmark = pytest.mark.browser


def versions(page):
    return page.locator("#history-list .history-item")


def test_restore_from_the_history_panel_changes_the_preview_and_undo_brings_it_back(signed_in):
    page = signed_in
    build(page, "a todo list")
    expect_complete(page)
    page.get_by_role("tab", name="History").click()
    expect(versions(page).first).to_be_visible()
    phase_versions = versions(page).count()

    page.get_by_label("Ask for a change").fill("add a reset button")
    page.get_by_label("Ask for a change").press("Enter")
    # The new phase's version arrives over the socket while the History tab is open.
    expect(versions(page)).to_have_count(phase_versions + 1, timeout=GENERATION_TIMEOUT)
    expect_complete(page)
    newest = versions(page).first
    expect(newest).to_have_class(re.compile(r"\bcurrent\b"))
    expect(newest.locator(".history-files")).to_be_visible()

    newest.get_by_role("button", name="View changes").click()
    expect(page.locator("#history-diff .diff-file").first).to_be_visible()
    expect(page.locator("#history-diff .diff-add").first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workspace-history.png"))

    page.get_by_role("tab", name="Preview").click()
    app = page.frame_locator("#preview-frame")
    expect(app.get_by_role("button", name=re.compile("reset", re.I))).to_be_visible()

    page.get_by_role("tab", name="History").click()
    first = page.locator('#history-list .history-item[data-number="1"]')
    first.get_by_role("button", name="Restore").click()
    expect(first.get_by_text(re.compile(r"^Restore version 1\?"))).to_be_visible()
    first.get_by_role("button", name="Restore version 1").click()

    expect(versions(page)).to_have_count(phase_versions + 2)
    expect(versions(page).first.locator(".history-message")).to_have_text(re.compile(r"^Restore version 1: "))
    expect(versions(page).first).to_have_class(re.compile(r"\bcurrent\b"))
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#preview-status")).to_have_text("Live")
    # The app keeps its one stable origin across redeploys (so its localStorage survives); the frame
    # reloads there, and what it shows is the restored version's files.
    expect(app.locator("#new-todo")).to_be_visible()
    expect(app.get_by_role("button", name=re.compile("reset", re.I))).to_have_count(0)

    page.get_by_role("tab", name="History").click()
    page.get_by_role("button", name="Undo last change").click()
    expect(versions(page)).to_have_count(phase_versions + 3)
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#preview-status")).to_have_text("Live")
    expect(app.get_by_role("button", name=re.compile("reset", re.I))).to_be_visible()


def test_restore_can_be_cancelled_and_is_offered_only_for_older_versions(signed_in):
    page = signed_in
    build(page, "a counter app")
    expect_complete(page)
    page.get_by_role("tab", name="History").click()
    expect(versions(page).first).to_be_visible()
    count = versions(page).count()

    expect(versions(page).first.get_by_role("button", name="Restore")).to_have_count(0)
    older = versions(page).nth(1)
    older.get_by_role("button", name="Restore").click()
    older.get_by_role("button", name="Cancel").click()

    expect(older.locator(".history-confirm")).to_have_count(0)
    expect(versions(page)).to_have_count(count)


def test_on_a_phone_history_is_a_tab_that_fits_and_restores(signed_in):
    from tests.browser.test_phone_layout import assert_fits

    page = signed_in
    build(page, "a todo list")
    expect_complete(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("tab", name="History").click()
    expect(versions(page).first).to_be_visible()
    count = versions(page).count()
    versions(page).first.get_by_role("button", name="View changes").click()
    expect(page.locator("#history-diff .diff-file").first).to_be_visible()
    assert_fits(page, "the History tab with a diff open")

    older = versions(page).nth(1)
    older.get_by_role("button", name="Restore").click()
    expect(older.get_by_role("button", name=re.compile(r"^Restore version"))).to_be_in_viewport()
    older.get_by_role("button", name=re.compile(r"^Restore version")).click()

    expect(versions(page)).to_have_count(count + 1)
    assert_fits(page, "the History tab after a restore")
    page.screenshot(path=str(ARTIFACTS / "phone-390-workspace-history.png"))
