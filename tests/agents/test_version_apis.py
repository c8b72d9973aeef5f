"""The history over HTTP: versions, diffs, restore, hand edits, git export and `git clone` with the real git."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import zipfile

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agents import versions
from agents.models import Agent, AgentStatus, Version
from previews.selectors import latest_deployment
from tests.support.agents import files_of, generate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def preview_root(settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path / "previews"
    settings.PREVIEW_DOMAIN = "preview.localhost"
    settings.PREVIEW_SCHEME = "http"
    settings.PREVIEW_PORT = ""


@pytest.fixture
def app(create_agent):
    agent = create_agent("a todo list to track my chores")
    generate(agent)
    return agent


@pytest.fixture
def owner_client(app):
    client = APIClient()
    client.force_authenticate(app.owner)
    return client


@pytest.fixture
def stranger_client(make_user):
    client = APIClient()
    client.force_authenticate(make_user("mallory"))
    return client


def data(response):
    return response.json()["data"]


def git(*args, cwd=None, check=True):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd or "/nonexistent"),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_ASKPASS": "/bin/false",
        "LANG": "C",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check, timeout=60)


# ------------------------------------------------------------------------------------------- history


def test_versions_are_listed_newest_first_with_what_changed(app, owner_client):
    response = owner_client.get(f"/api/agent/{app.pk}/versions")

    assert response.status_code == 200
    body = data(response)
    shas = list(Version.objects.filter(agent=app).order_by("-number").values_list("sha", flat=True))
    assert [v["id"] for v in body["results"]] == shas
    assert body["count"] == len(shas)
    first = body["results"][-1]
    assert first["message"] == app.phases.get(index=0).name
    assert first["filesChanged"] == len(first["files"]) == 3
    assert first["additions"] > 0 and first["deletions"] == 0
    assert {"created", "number", "kind", "parent"} <= set(first)


def test_versions_paginate(app, owner_client):
    response = owner_client.get(f"/api/agent/{app.pk}/versions?pageSize=1")

    body = data(response)
    assert len(body["results"]) == 1 and body["next"]
    assert data(owner_client.get(body["next"]))["results"][0]["number"] == body["results"][0]["number"] - 1


def test_diff_gives_a_unified_diff_per_changed_file(app, owner_client):
    second = Version.objects.get(agent=app, number=2)

    response = owner_client.get(f"/api/agent/{app.pk}/versions/{second.sha}/diff")

    assert response.status_code == 200
    files = {f["path"]: f for f in data(response)["files"]}
    assert set(files) == {c["path"] for c in second.changes}
    modified = next(f for f in files.values() if f["change"] == "modified")
    assert modified["diff"].startswith(f"--- a/{modified['path']}\n+++ b/{modified['path']}\n@@ ")
    added_lines = [line for line in modified["diff"].splitlines() if line.startswith("+") and not line.startswith("++")]
    assert len(added_lines) == modified["additions"]
    added = next(f for f in files.values() if f["change"] == "added")
    assert added["diff"].startswith(f"--- /dev/null\n+++ b/{added['path']}\n")


def test_a_short_sha_finds_the_version_and_a_malformed_one_is_404(app, owner_client):
    first = Version.objects.get(agent=app, number=1)

    assert owner_client.get(f"/api/agent/{app.pk}/versions/{first.sha[:10]}/diff").status_code == 200
    for bad in ("zzzzzzzz", "abc", "0" * 40, "../../etc"):
        response = owner_client.get(f"/api/agent/{app.pk}/versions/{bad}/diff")
        assert response.status_code == 404, bad


def test_restore_is_refused_with_409_while_generating(app, owner_client):
    first = Version.objects.get(agent=app, number=1)
    Agent.objects.filter(pk=app.pk).update(status=AgentStatus.GENERATING)

    response = owner_client.post(f"/api/agent/{app.pk}/versions/{first.sha}/restore")

    assert response.status_code == 409
    assert response.json()["error"]["type"] == "CONFLICT"
    assert app.versions.count() == 2


# ------------------------------------------------------------------------------------------- edits


def test_put_of_a_file_commits_it_as_edited_and_redeploys(app, owner_client):
    before = app.versions.count()

    response = owner_client.put(
        f"/api/agent/{app.pk}/files/styles.css", {"fileContents": "body { background: black; }\n"}, format="json"
    )

    assert response.status_code == 200, response.content
    version = data(response)["version"]
    assert version["message"] == "Edited styles.css"
    assert version["files"] == [
        {"path": "styles.css", "change": "modified", "additions": 1, "deletions": version["deletions"]}
    ]
    assert app.versions.count() == before + 1
    assert files_of(app)["styles.css"] == "body { background: black; }\n"
    assert versions.version_files(versions.head(agent=app)) == files_of(app)
    deployment = latest_deployment(agent=app)
    from django.test import Client

    served = Client().get("/styles.css", HTTP_HOST=f"{deployment.id}.preview.localhost")
    assert served.content == b"body { background: black; }\n"


def test_put_of_a_new_file_adds_it(app, owner_client):
    response = owner_client.put(
        f"/api/agent/{app.pk}/files/docs/notes.md", {"fileContents": "# Notes\n"}, format="json"
    )

    assert response.status_code == 200
    assert data(response)["version"]["files"][0] == {
        "path": "docs/notes.md",
        "change": "added",
        "additions": 1,
        "deletions": 0,
    }
    assert files_of(app)["docs/notes.md"] == "# Notes\n"


def test_put_of_unchanged_content_adds_no_version(app, owner_client):
    before = app.versions.count()
    content = files_of(app)["app.js"]

    response = owner_client.put(f"/api/agent/{app.pk}/files/app.js", {"fileContents": content}, format="json")

    assert response.status_code == 200
    assert app.versions.count() == before


@pytest.mark.parametrize("path", ["../escape.js", "/etc/passwd", "a/../../b", ".git/config", "a\x01b"])
def test_put_refuses_unsafe_paths(app, owner_client, path):
    response = owner_client.put(f"/api/agent/{app.pk}/files/{path}", {"fileContents": "x"}, format="json")

    assert response.status_code in (400, 404), path
    assert response.json()["success"] is False
    assert app.versions.count() == 2


def test_put_refuses_a_file_over_the_size_cap(app, owner_client):
    big = "x" * (versions.MAX_EDIT_BYTES + 1)

    response = owner_client.put(f"/api/agent/{app.pk}/files/big.txt", {"fileContents": big}, format="json")

    assert response.status_code == 413
    assert "big.txt" not in files_of(app)


def test_put_without_contents_is_invalid_input(app, owner_client):
    response = owner_client.put(f"/api/agent/{app.pk}/files/app.js", {"content": "x"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "INVALID_INPUT"


def test_put_is_refused_with_409_while_generating(app, owner_client):
    Agent.objects.filter(pk=app.pk).update(status=AgentStatus.GENERATING)

    response = owner_client.put(f"/api/agent/{app.pk}/files/app.js", {"fileContents": "x"}, format="json")

    assert response.status_code == 409


# ------------------------------------------------------------------------------------------- other users


def test_another_user_gets_404_on_every_version_endpoint(app, stranger_client):
    sha = versions.head(agent=app).sha
    base = f"/api/agent/{app.pk}"
    responses = [
        stranger_client.get(f"{base}/versions"),
        stranger_client.get(f"{base}/versions/{sha}/diff"),
        stranger_client.post(f"{base}/versions/{sha}/restore"),
        stranger_client.put(f"{base}/files/app.js", {"fileContents": "pwned"}, format="json"),
        stranger_client.get(f"{base}/export?format=git"),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert "pwned" not in files_of(app)["app.js"]
    assert app.versions.count() == 2


def test_signed_out_requests_get_401(app):
    sha = versions.head(agent=app).sha
    client = APIClient()

    assert client.get(f"/api/agent/{app.pk}/versions").status_code == 401
    assert client.post(f"/api/agent/{app.pk}/versions/{sha}/restore").status_code == 401
    assert client.put(f"/api/agent/{app.pk}/files/app.js", {"fileContents": "x"}, format="json").status_code == 401


# ------------------------------------------------------------------------------------------- git


def test_git_export_is_a_zip_of_the_files_with_their_history(app, owner_client, tmp_path):
    response = owner_client.get(f"/api/agent/{app.pk}/export?format=git")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path)
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir() and p.name != "previews"]
    log = git("log", "--format=%H", cwd=folder).stdout.split()
    assert log == list(Version.objects.filter(agent=app).order_by("-number").values_list("sha", flat=True))
    assert git("status", "--porcelain", cwd=folder).stdout == ""
    assert {p: (folder / p).read_text() for p in files_of(app)} == files_of(app)


def test_plain_export_is_still_the_files_only(app, owner_client):
    response = owner_client.get(f"/api/agent/{app.pk}/export")

    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
    assert not any("/.git/" in name for name in names)
    assert len(names) == len(files_of(app))


@pytest.fixture
def token(app):
    return Token.objects.get_or_create(user=app.owner)[0].key


def clone_url(live_server, agent_id, username: str, password: str) -> str:
    host = live_server.url.removeprefix("http://")
    return f"http://{username}:{password}@{host}/api/agent/{agent_id}/git"


def test_git_clone_over_http_with_a_token_yields_the_same_commits(app, token, live_server, tmp_path):
    result = git("clone", clone_url(live_server, app.pk, app.owner.username, token), "copy", cwd=tmp_path)

    copy = tmp_path / "copy"
    log = git("log", "--format=%H %s", cwd=copy).stdout.splitlines()
    expected = Version.objects.filter(agent=app).order_by("-number").values_list("sha", "subject")
    assert log == [f"{sha} {subject}" for sha, subject in expected], result.stderr
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=copy).stdout.strip() == "main"
    assert {p: (copy / p).read_text() for p in files_of(app)} == files_of(app)
    assert git("fsck", "--strict", cwd=copy).returncode == 0


def test_git_fetch_after_a_restore_brings_the_new_commit(app, token, live_server, tmp_path):
    git("clone", clone_url(live_server, app.pk, "anything", token), "copy", cwd=tmp_path)
    first = Version.objects.get(agent=app, number=1)
    restored = versions.restore(agent=app, version=first, user=app.owner)

    git("pull", "--ff-only", cwd=tmp_path / "copy")

    assert git("rev-parse", "HEAD", cwd=tmp_path / "copy").stdout.strip() == restored.sha
    assert (tmp_path / "copy" / "index.html").read_text() == versions.version_files(first)["index.html"]


def test_git_clone_with_another_users_token_is_not_found(app, live_server, make_user, tmp_path):
    stranger = make_user("mallory")
    key = Token.objects.create(user=stranger).key

    result = git("clone", clone_url(live_server, app.pk, "mallory", key), "copy", cwd=tmp_path, check=False)

    assert result.returncode != 0
    assert "not found" in result.stderr.lower()
    assert not (tmp_path / "copy").exists()


def test_git_clone_with_a_wrong_token_fails_authentication(app, live_server, tmp_path):
    result = git("clone", clone_url(live_server, app.pk, "ada", "0" * 40), "copy", cwd=tmp_path, check=False)

    assert result.returncode != 0
    assert "authentication failed" in result.stderr.lower()


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.mark.parametrize("agent_id", ["existing", "00000000-0000-0000-0000-000000000000", "not-a-uuid"])
@pytest.mark.parametrize("auth", [None, "Basic !!!", "Bearer x", "wrong-token"])
def test_every_git_request_without_valid_credentials_gets_401_basic(app, client, agent_id, auth):
    agent_id = app.pk if agent_id == "existing" else agent_id
    headers = {}
    if auth == "wrong-token":
        headers["HTTP_AUTHORIZATION"] = _basic("ada", "f" * 40)
    elif auth:
        headers["HTTP_AUTHORIZATION"] = auth

    responses = [
        client.get(f"/api/agent/{agent_id}/git/info/refs?service=git-upload-pack", **headers),
        client.post(
            f"/api/agent/{agent_id}/git/git-upload-pack",
            b"0000",
            content_type="application/x-git-upload-pack-request",
            **headers,
        ),
        client.get(f"/api/agent/{agent_id}/git", **headers),
    ]

    for response in responses:
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic ")


def test_git_with_a_strangers_token_is_404_for_existing_unknown_and_malformed_ids(app, client, make_user):
    key = Token.objects.create(user=make_user("mallory")).key
    auth = _basic("mallory", key)
    for agent_id in (app.pk, "00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = client.get(f"/api/agent/{agent_id}/git/info/refs?service=git-upload-pack", HTTP_AUTHORIZATION=auth)
        assert response.status_code == 404, agent_id


def test_git_push_is_refused(app, client, token):
    auth = _basic("ada", token)

    response = client.get(f"/api/agent/{app.pk}/git/info/refs?service=git-receive-pack", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 403
    response = client.post(
        f"/api/agent/{app.pk}/git/git-receive-pack",
        b"0000",
        content_type="application/x-git-receive-pack-request",
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == 403


@pytest.mark.parametrize("body", [b"", b"garbage", b"0032want " + b"f" * 40 + b"\n0000", b"\xff" * 5000])
def test_a_malformed_upload_pack_request_is_a_400_not_a_500(app, client, token, body):
    response = client.post(
        f"/api/agent/{app.pk}/git/git-upload-pack",
        body,
        content_type="application/x-git-upload-pack-request",
        HTTP_AUTHORIZATION=_basic("ada", token),
    )

    assert response.status_code in (200, 400)


def _pkt(line: bytes) -> bytes:
    return f"{len(line) + 4:04x}".encode() + line


@pytest.mark.parametrize("gzipped", [False, True])
def test_upload_pack_answers_a_want_with_a_pack_also_when_git_gzips_the_request(app, client, token, gzipped):
    import gzip

    want = f"want {versions.head(agent=app).sha} side-band-64k thin-pack ofs-delta\n".encode()
    body = _pkt(want) + b"0000" + _pkt(b"done\n")
    headers = {"HTTP_AUTHORIZATION": _basic("ada", token)}
    if gzipped:
        body = gzip.compress(body)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"

    response = client.post(
        f"/api/agent/{app.pk}/git/git-upload-pack",
        body,
        content_type="application/x-git-upload-pack-request",
        **headers,
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-git-upload-pack-result"
    assert b"PACK" in response.content


def test_a_gzip_bomb_is_refused(app, client, token):
    import gzip

    response = client.post(
        f"/api/agent/{app.pk}/git/git-upload-pack",
        gzip.compress(b"0" * (50 * 1024 * 1024)),
        content_type="application/x-git-upload-pack-request",
        HTTP_CONTENT_ENCODING="gzip",
        HTTP_AUTHORIZATION=_basic("ada", token),
    )

    assert response.status_code == 400
