"""The start-up warning about a derived encryption key."""

from modelconfig.checks import fernet_key_configured


def test_production_with_a_derived_fernet_key_warns(settings):
    settings.DEBUG, settings.FERNET_KEY_DERIVED = False, True
    assert [w.id for w in fernet_key_configured(None)] == ["modelconfig.W001"]
    assert "ATELIER_FERNET_KEY" in fernet_key_configured(None)[0].msg


def test_no_warning_with_an_explicit_key_or_in_development(settings):
    settings.DEBUG, settings.FERNET_KEY_DERIVED = False, False
    assert fernet_key_configured(None) == []
    settings.DEBUG, settings.FERNET_KEY_DERIVED = True, True
    assert fernet_key_configured(None) == []
