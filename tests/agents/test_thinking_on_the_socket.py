"""A reasoning model's thoughts reach the socket as `model_thinking` frames, never the files or the chat."""

import functools

import pytest
from channels.db import database_sync_to_async

from agents.models import Event
from tests.agents import misbehaving
from tests.agents.test_real_models import THOUGHTS
from tests.agents.ws import frames_until, next_frame, open_socket
from tests.fake_llm import Stream, token_chunks
from tests.support.agents import files_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def create_agent(create_agent):
    """The model thinks while planning too: agents are planned by the model, not made by a factory."""
    return functools.partial(create_agent, run_planning=True)


@pytest.mark.parametrize("where", ["think-block", "reasoning-field"])
async def test_thoughts_are_sent_as_model_thinking_frames(use_model, create_agent, user, where):
    def respond(body):
        if where == "think-block":
            return misbehaving.thinking_first(THOUGHTS)(body)
        return Stream(token_chunks(misbehaving.meant(body)), reasoning=token_chunks(THOUGHTS))

    use_model("openai", respond)
    agent = await database_sync_to_async(create_agent)("a todo list")
    socket = await open_socket(agent.pk, user)
    await next_frame(socket)
    await socket.send_json_to({"type": "generate_all"})
    frames = await frames_until(socket, "generation_complete")
    await socket.disconnect()

    thinking = [f for f in frames if f["type"] == "model_thinking"]
    assert {f["action"] for f in thinking} >= {"phase_implementation", "code_review"}
    first_call = "".join(f["chunk"] for f in thinking if f["action"] == "phase_implementation")
    assert "Let me draft the page first" in first_call
    files = await database_sync_to_async(files_of)(agent)
    assert all("draft" not in content for content in files.values())
    stored = await database_sync_to_async(lambda: Event.objects.filter(agent=agent, type="model_thinking").count())()
    assert stored == 0  # broadcast only, like file chunks
