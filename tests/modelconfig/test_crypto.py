"""Provider keys are encrypted at rest and only ever shown masked."""

import pytest
from cryptography.fernet import Fernet

from modelconfig import crypto
from modelconfig.models import ProviderCredential

KEY = "sk-proj-Abc123def456ghi789jkl0wxyz"


def test_encrypt_then_decrypt_returns_the_key():
    token = crypto.encrypt(KEY)
    assert KEY not in token
    assert crypto.decrypt(token) == KEY


def test_encrypting_twice_gives_different_tokens():
    assert crypto.encrypt(KEY) != crypto.encrypt(KEY)


def test_a_token_from_another_fernet_key_is_unreadable(settings):
    token = crypto.encrypt(KEY)
    settings.FERNET_KEY = Fernet.generate_key().decode()
    with pytest.raises(crypto.UnreadableSecret):
        crypto.decrypt(token)


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        (KEY, "…wxyz"),
        ("sk-ant-api03-0123456789abcd", "…abcd"),
        ("short-key", "****"),
        ("", ""),
    ],
)
def test_mask_shows_the_first_three_and_last_four_characters_of_long_keys_only(key, masked):
    assert crypto.mask_key(key) == masked


@pytest.mark.django_db
def test_stored_credential_row_holds_no_plaintext_key(user):
    credential = ProviderCredential(user=user, provider="openai", name="Mine")
    credential.set_key(KEY)
    credential.save()
    row = ProviderCredential.objects.filter(pk=credential.pk).values().get()
    assert KEY not in str(row)
    assert row["key_hint"] == "…wxyz"
    assert ProviderCredential.objects.get(pk=credential.pk).get_key() == KEY
