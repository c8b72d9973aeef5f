"""A file as it streams: the snapshot's draft plus the chunks placed by their `offset` is exactly the file.

A page that opens (or reloads) while a file is being written gets the saved draft in `agent_connected`, then
live chunks, some of which the draft may already hold. Each chunk says where it starts, so nothing is shown
twice and nothing is missing (the web UI does the same in static/js/workspace/state.js).
"""

import asyncio

import pytest
from channels.db import database_sync_to_async

from agents.models import File
from tests.agents.ws import frames_until, next_frame, open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def place(draft: str, chunks: list[dict]) -> str:
    """The client's rule: a chunk starting inside the draft is trimmed; one starting past its end is a hole."""
    for chunk in chunks:
        assert chunk["offset"] <= len(draft), f"chunk at {chunk['offset']} after a draft of {len(draft)}: a hole"
        draft += chunk["chunk"][len(draft) - chunk["offset"] :]
    return draft


async def test_chunks_say_where_they_start_and_follow_each_other(create_agent, user, settings):
    settings.OFFLINE_CHUNK_DELAY = 0.001
    agent = await database_sync_to_async(create_agent)("a todo list")
    socket = await open_socket(agent.pk, user)
    await next_frame(socket)
    await socket.send_json_to({"type": "generate_all"})
    frames = await frames_until(socket, "generation_complete")
    await socket.disconnect()
    streams = []  # (path, chunks, saved contents), one per time a file was written (a later phase rewrites some)
    current = {}
    for frame in frames:
        if frame["type"] == "file_generating":
            current[frame["filePath"]] = []
        elif frame["type"] == "file_chunk_generated":
            current[frame["filePath"]].append(frame)
        elif frame["type"] == "file_generated":
            path = frame["file"]["filePath"]
            streams.append((path, current.pop(path), frame["file"]["fileContents"]))
    assert streams
    for path, chunks, contents in streams:
        offsets = [c["offset"] for c in chunks]
        assert offsets == [sum(len(c["chunk"]) for c in chunks[:i]) for i in range(len(chunks))], path
        assert place("", chunks) == contents


async def test_a_page_opened_mid_file_shows_the_saved_draft_plus_what_follows(create_agent, user, settings):
    settings.OFFLINE_CHUNK_DELAY = 0.003
    agent = await database_sync_to_async(create_agent)("a todo list")
    writer = await open_socket(agent.pk, user)
    await next_frame(writer)
    await writer.send_json_to({"type": "generate_all"})
    for _ in range(20):
        # Open a second page right after a chunk went out, until one opens while that file is still written.
        chunk = (await frames_until(writer, "file_chunk_generated"))[-1]
        path = chunk["filePath"]
        reader = await open_socket(agent.pk, user)
        connected = await next_frame(reader)
        assert connected["type"] == "agent_connected"
        state_file = next(f for f in connected["state"]["files"] if f["filePath"] == path)
        if state_file["generating"]:
            break
        await reader.disconnect()
    else:
        raise AssertionError("no page opened while a file was written")
    draft = state_file["draft"]
    assert draft, "the draft is saved with every chunk sent, so a page opened mid-file has it"
    rest = await frames_until(reader, "file_generated")
    chunks = [f for f in rest if f["type"] == "file_chunk_generated" and f["filePath"] == path]
    final = rest[-1]["file"]
    assert final["filePath"] == path
    assert place(draft, chunks) == final["fileContents"]
    # A durable frame is handed to the publisher just before its transaction commits: give the commit a moment.
    for _ in range(100):
        saved = await database_sync_to_async(lambda: File.objects.get(agent=agent, path=path).content)()
        if saved == final["fileContents"]:
            break
        await asyncio.sleep(0.05)
    assert saved == final["fileContents"]
    await frames_until(writer, "generation_complete")
    await writer.disconnect()
    await reader.disconnect()


async def test_the_snapshot_names_the_model_that_built_the_app_and_its_problems(create_agent, user, settings):
    settings.OFFLINE_CHUNK_DELAY = 0
    agent = await database_sync_to_async(create_agent)("a todo list")
    socket = await open_socket(agent.pk, user)
    await next_frame(socket)
    await socket.send_json_to({"type": "generate_all"})
    await frames_until(socket, "generation_complete")
    await socket.disconnect()
    again = await open_socket(agent.pk, user)
    state = (await next_frame(again))["state"]
    await again.disconnect()
    assert state["builtWith"] == {"provider": "offline", "name": state["model"]["name"]}
    assert state["problems"] == []
