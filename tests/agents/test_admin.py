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


def test_admin_names_rows_in_words_and_indents_the_blueprint(admin_client, create_agent):
    agent = create_agent("a todo list")
    generate(agent)

    messages = admin_client.get("/admin/agents/message/").content.decode()
    assert "Message object" not in messages and "user: a todo list" in messages
    assert "Event object" not in admin_client.get("/admin/agents/event/").content.decode()
    page = admin_client.get(f"/admin/agents/agent/{agent.pk}/change/").content.decode()
    assert "<pre>{\n  &quot;title&quot;: &quot;Todo List&quot;" in page
