"""The settings page: rendered for a signed-in user, and honest about the offline model."""

import pytest
from django.test import Client

from modelconfig.models import ProviderCredential

pytestmark = pytest.mark.django_db

KEY = "sk-page-secret-0123456789abcdef"


@pytest.fixture
def browser(user):
    client = Client()
    client.force_login(user)
    return client


def test_settings_page_shows_every_action_and_the_offline_badge(browser):
    response = browser.get("/settings/")
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Blueprint", "Phase implementation", "Conversation"):
        assert label in html
    assert html.count('class="badge badge-offline"') >= 6
    assert "6 of 6 actions run on the built-in offline model" in html
    assert "js/settings.js" in html
    assert response.cookies["csrftoken"].value


def test_settings_page_lists_keys_masked_only(browser, user, settings):
    credential = ProviderCredential(user=user, provider="openai", name="Work key")
    credential.set_key(KEY)
    credential.save()
    html = browser.get("/settings/").content.decode()
    assert "Work key" in html and "…cdef" in html
    assert KEY not in html and credential.encrypted_key not in html
    assert "badge badge-offline" not in html
    assert "Your key" in html


def test_settings_page_needs_sign_in(db):
    response = Client().get("/settings/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_navigation_links_to_settings(browser):
    assert 'href="/settings/"' in browser.get("/").content.decode()
