import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("status", "database", "channel_layer")} == {
        "status": "ok",
        "database": "ok",
        "channel_layer": "ok",
    }
    assert body["framework_apps"] in ("ok", "unavailable")  # optional: tests/agents/test_framework_apps.py


def test_healthz_is_503_when_channel_layer_is_down(settings):
    # A Redis layer pointing at a closed port: nothing answers.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert {key: body[key] for key in ("status", "database", "channel_layer")} == {
        "status": "unavailable",
        "database": "ok",
        "channel_layer": "down",
    }
