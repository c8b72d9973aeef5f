import pytest

from tests.support.agents import generate

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_shows_agents_files_and_events(admin_client, create_agent):
    agent = create_agent("a todo list")
    generate(agent)
    assert agent.title in admin_client.get("/admin/agents/agent/").content.decode()
    page = admin_client.get(f"/admin/agents/agent/{agent.pk}/change/").content.decode()
    assert "index.html" in page
    assert "file_generated" in admin_client.get("/admin/agents/event/").content.decode()
    assert admin_client.get("/admin/agents/event/add/").status_code == 403
