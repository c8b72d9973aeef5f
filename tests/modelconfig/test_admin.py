"""Admin: keys are write-only there too."""

import pytest
from django.test import Client

from modelconfig.models import ProviderCredential

pytestmark = pytest.mark.django_db

KEY = "sk-admin-secret-0123456789abcdef"


@pytest.fixture
def admin_browser(django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "a-Strong-passw0rd")
    client = Client()
    client.force_login(admin)
    return client


def test_admin_change_page_never_shows_the_key(admin_browser, user):
    credential = ProviderCredential(user=user, provider="openai", name="Work")
    credential.set_key(KEY)
    credential.save()
    html = admin_browser.get(f"/admin/modelconfig/providercredential/{credential.pk}/change/").content.decode()
    assert "…cdef" in html
    assert KEY not in html and credential.encrypted_key not in html
    listing = admin_browser.get("/admin/modelconfig/providercredential/").content.decode()
    assert "…cdef" in listing and KEY not in listing


def test_admin_add_form_encrypts_the_key(admin_browser, user, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    response = admin_browser.post(
        "/admin/modelconfig/providercredential/add/",
        {
            "user": user.pk,
            "provider": "anthropic",
            "name": "Admin-made",
            "base_url": "",
            "api_key": KEY,
            "last_error": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    credential = ProviderCredential.objects.get(name="Admin-made")
    assert credential.get_key() == KEY and KEY not in credential.encrypted_key


def test_admin_refuses_a_private_base_url(admin_browser, user, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    response = admin_browser.post(
        "/admin/modelconfig/providercredential/add/",
        {
            "user": user.pk,
            "provider": "openai",
            "name": "Sneaky",
            "base_url": "http://169.254.169.254/",
            "api_key": KEY,
            "last_error": "",
        },
    )
    assert response.status_code == 200
    assert "private" in response.content.decode()
    assert not ProviderCredential.objects.exists()


def test_model_config_admin_lists_overrides(admin_browser):
    assert admin_browser.get("/admin/modelconfig/modelconfig/").status_code == 200
