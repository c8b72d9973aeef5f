"""Settings speak the form's words: an API error about `baseUrl` is shown as being about "Base URL"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_refused_key_names_the_field_as_the_form_labels_it(signed_in):
    page = signed_in
    page.context.js_errors.allow(r"status of 400")
    page.goto("/settings/")
    form = page.locator("#add-key")
    form.get_by_label("Name").fill("Mine")
    form.get_by_label("Base URL").fill("ftp://example.com/v1")
    form.get_by_label("API key").fill("sk-test-0123456789")
    form.get_by_role("button", name="Add key").click()
    result = form.locator(".mc-result")
    expect(result).to_have_text(re.compile(r"^Base URL: "))
    expect(result).not_to_contain_text("baseUrl")
    expect(form.get_by_label("Base URL")).to_have_attribute("aria-invalid", "true")
