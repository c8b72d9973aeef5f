"""Malformed input is refused with 400/413 and the JSON envelope (or a 4404 close), never a 500."""

import json

import pytest

pytestmark = pytest.mark.django_db


def _envelope(response, status: int, error_type: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"]["type"] == error_type
    return body


def test_deeply_nested_json_body_is_a_400_envelope(api_client):
    body = "[" * 100_000 + "]" * 100_000
    response = api_client.post("/api/agent/codegen", data=body, content_type="application/json")
    _envelope(response, 400, "INVALID_INPUT")


def test_a_30_mib_json_body_is_a_413_envelope(api_client):
    body = json.dumps({"query": "x" * (30 * 1024 * 1024)})
    response = api_client.post("/api/agent/codegen", data=body, content_type="application/json")
    _envelope(response, 413, "PAYLOAD_TOO_LARGE")


def test_more_than_1000_form_fields_is_a_400_envelope(api_client):
    body = "&".join(f"f{i}=x" for i in range(1500))
    response = api_client.post("/api/agent/codegen", data=body, content_type="application/x-www-form-urlencoded")
    _envelope(response, 400, "INVALID_INPUT")


def test_multipart_without_a_boundary_is_a_400_envelope(api_client):
    response = api_client.post("/api/agent/codegen", data=b"--x\r\n", content_type="multipart/form-data")
    _envelope(response, 400, "INVALID_INPUT")


def test_agent_get_for_user_finds_nothing_for_a_non_uuid_id(user):
    from agents.selectors import agent_get_for_user

    assert agent_get_for_user(user=user, agent_id="not-a-uuid") is None
