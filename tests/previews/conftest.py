"""Preview fixtures: an agent with a small todo app written straight to the ORM, previews under tmp_path."""

from __future__ import annotations

import pytest

from tests.previews.factories import TODO_APP


@pytest.fixture(autouse=True)
def preview_root(settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path / "previews"
    settings.PREVIEW_DOMAIN = "preview.localhost"
    settings.PREVIEW_SCHEME = "http"
    settings.PREVIEW_PORT = ""
    settings.PUBLIC_ORIGIN = ""
    return settings.PREVIEW_ROOT


@pytest.fixture
def make_agent(db):
    from agents.models import Agent, File

    def make(owner, files: dict[str, str] | None = None, **fields):
        fields.setdefault("status", "complete")  # a finished app: its previews are complete
        agent = Agent.objects.create(owner=owner, query="A todo list", title="Todos", **fields)
        for path, content in (TODO_APP if files is None else files).items():
            File.objects.create(agent=agent, path=path, content=content, sha256=File.digest(content))
        return agent

    return make


@pytest.fixture
def agent(make_agent, user):
    return make_agent(user)


@pytest.fixture
def deployment(agent):
    from agents.deployments import agent_deploy_preview

    return agent_deploy_preview(agent=agent)
