"""The server as `make run` starts it (daphne): malformed bodies reach Django and get the JSON envelope."""

import json
import os
import urllib.error
import urllib.request

import pytest

from tests.scale.cluster import Daphne, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture
def server(tmp_path):
    env = {**os.environ, "DEBUG": "true", "ATELIER_DATA_DIR": str(tmp_path), "ATELIER_TESTING": "false"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    daphne = Daphne("daphne", env=env, log=tmp_path / "daphne.log")

    def healthy():
        if not daphne.alive():
            raise RuntimeError(daphne.tail())
        try:
            with urllib.request.urlopen(f"{daphne.url}/healthz", timeout=3):
                return True
        except (OSError, urllib.error.HTTPError):
            return False

    wait_for(healthy, timeout=60, interval=0.2, what="daphne /healthz")
    yield daphne
    daphne.stop()


def _post(url: str, body: bytes, content_type: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_multipart_without_a_boundary_is_a_400_envelope_from_daphne(server):
    status, content_type, body = _post(f"{server.url}/api/auth/token", b"--x\r\n\r\n", "multipart/form-data")
    assert status == 400
    assert content_type.startswith("application/json")
    assert json.loads(body)["error"]["type"] == "INVALID_INPUT"
