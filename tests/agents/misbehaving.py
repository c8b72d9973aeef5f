"""Fake models that answer the way real ones do, built on the offline model's answers.

Each responder takes a request body (OpenAI or Anthropic shape), works out what the offline model would
answer to it (what the model "means"), and sends that the way a real model would: wrapped in reasoning,
cut at its output limit, as edit blocks... always verbatim, in token-sized chunks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from agents import prompts
from agents.offline_model.client import answer_for
from modelconfig.providers.base import ChatMessage
from tests.fake_llm import ScriptItem, verbatim

ACTION_BY_SYSTEM_PROMPT = {
    prompts.BLUEPRINT_SYSTEM: "blueprint",
    prompts.PHASE_PLAN_SYSTEM: "phase_generation",
    prompts.PHASE_IMPLEMENTATION_SYSTEM: "phase_implementation",
    prompts.FILE_REGENERATION_SYSTEM: "file_regeneration",
    prompts.CODE_REVIEW_SYSTEM: "code_review",
    prompts.CONVERSATION_SYSTEM: "conversation",
}
CONTINUE_PREFIX = "Your answer was cut off at the output limit."


def _text(content) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def chat_messages(body: dict) -> list[ChatMessage]:
    system = body.get("system")
    messages = []
    if system is not None:
        messages.append(ChatMessage(role="system", content=system if isinstance(system, str) else _text(system)))
    for message in body["messages"]:
        messages.append(ChatMessage(role=message["role"], content=_text(message["content"])))
    return messages


def action_of(body: dict) -> str:
    return ACTION_BY_SYSTEM_PROMPT[chat_messages(body)[0].content]


def meant(body: dict) -> str:
    """What the offline model answers to this request, ignoring continuation and retry turns."""
    messages = chat_messages(body)
    while len(messages) > 2 and messages[-2].role == "assistant":
        messages = messages[:-2]
    return answer_for(ACTION_BY_SYSTEM_PROMPT[messages[0].content], messages)


def is_continuation(body: dict) -> bool:
    return _text(body["messages"][-1]["content"]).startswith(CONTINUE_PREFIX)


def is_retry(body: dict) -> bool:
    return _text(body["messages"][-1]["content"]).startswith("Your answer could not be used")


def thinking_first(thoughts: str, *, tag: str = "think") -> Callable[[dict], ScriptItem]:
    """Every answer preceded by a `<think>` block holding `thoughts`."""
    return lambda body: verbatim(f"<{tag}>\n{thoughts}\n</{tag}>\n\n{meant(body)}")


def cut_at_limit(*, longer_than: int = 400) -> Callable[[dict], ScriptItem]:
    """Long answers stop halfway with the output-limit finish reason; the continuation sends the rest."""

    def respond(body: dict) -> ScriptItem:
        full = meant(body)
        if is_continuation(body):
            partial = _text(body["messages"][-2]["content"])
            assert full.startswith(partial), "the partial answer goes back unchanged"
            return verbatim(full[len(partial):])
        if len(full) <= longer_than:
            return verbatim(full)
        return verbatim(full[: len(full) // 2], finish="length")

    return respond


def sloppy_json(body: dict) -> ScriptItem:
    """JSON answers as chatty models write them: a draft object, prose, a fence, comments, trailing commas,
    colour names and a projectName with spaces."""
    answer = meant(body)
    action = action_of(body)
    if action not in ("blueprint", "phase_generation"):
        return verbatim(answer)
    value = json.loads(answer)
    if action == "blueprint":
        value["projectName"] = value["title"] + " App"
        value["colorPalette"] = ["navy", "white", "goldenrod"]
    text = json.dumps(value, indent=2)
    text = text.replace('",\n', '", // noted\n', 3).replace('"\n  }', '",\n  }')
    text = re.sub(r"\n}$", ",\n}", text)
    return verbatim(
        'Here is a first idea: {"primary": "blue"}. And the final answer:\n```json\n' + text + "\n```\nDone!"
    )
