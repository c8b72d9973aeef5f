"""The assistant's own messages: the offline model's honesty before a build, a summary after each one."""

import functools

import pytest

from agents import services
from agents.models import Agent, AgentStatus, Event, Message, MessageRole
from tests.support.agents import event_types, generate, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def create_agent(create_agent):
    """The note about a missing template is written while planning: agents are planned by the model."""
    return functools.partial(create_agent, run_planning=True)


def _assistant_texts(agent) -> list[str]:
    return list(Message.objects.filter(agent=agent, role=MessageRole.ASSISTANT).values_list("text", flat=True))


def test_a_request_without_an_offline_template_is_told_before_building_and_after(create_agent):
    agent = create_agent("a snake game")

    assert agent.blueprint["closestTemplate"] is True
    note = _assistant_texts(agent)[0]
    assert note.startswith("The built-in offline model has no template for “a snake game”")
    assert "Connect a model in Settings" in note

    generate(agent)

    types = event_types(agent)
    assert types.index("conversation_response") < types.index("generation_started")
    summary = _assistant_texts(agent)[-1]
    assert summary.startswith("I built Snake Game.")
    assert "closest template" in summary


def test_a_request_the_offline_model_knows_is_not_flagged(create_agent):
    agent = create_agent("a todo list")
    generate(agent)

    assert "closestTemplate" not in agent.blueprint
    assert _assistant_texts(agent) == [_assistant_texts(agent)[-1]]
    assert _assistant_texts(agent)[-1].startswith("I built Todo List.")


def test_after_a_follow_up_the_assistant_says_what_was_done_in_the_past_tense(create_agent):
    agent = create_agent("a counter app")
    generate(agent)

    services.agent_user_suggestion(agent=agent, text="make it dark")
    wait_for(
        lambda: (
            Agent.objects.get(pk=agent.pk).status == AgentStatus.COMPLETE
            and not Agent.objects.get(pk=agent.pk).lease_owner
        )
    )

    reply, summary = _assistant_texts(agent)[-2:]
    assert reply.startswith("Sure! I'll switch to a dark colour scheme")
    assert summary == "Done: “make it dark”. I changed styles.css."


def test_images_given_to_the_offline_model_are_reported_as_unused(create_agent, user):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image as PILImage

    from agents.images import image_store

    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (10, 20, 30)).save(buffer, format="PNG")
    image = image_store(owner=user, upload=SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png"))
    agent = services.agent_create(owner=user, query="a todo list like this", images=[image])

    services.agent_generate_blueprint(agent=agent)

    warning = Event.objects.get(agent=agent, type="generation_warning", payload__code="IMAGES_UNUSED").payload
    assert warning["message"].startswith("The built-in offline model cannot see images: the 1 attached image was not")
