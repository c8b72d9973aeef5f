"""Fake models that answer the way real ones do, built on the offline model's answers.

Each responder takes a request body (OpenAI or Anthropic shape), works out what the offline model would
answer to it (what the model "means"), and sends that the way a real model would: wrapped in reasoning,
cut at its output limit, as edit blocks... always verbatim, in token-sized chunks.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable

from agents import edits, prompts
from agents.offline_model.client import answer_for
from agents.offline_model.prompt import read_prompt
from agents.parsing import parse_files
from modelconfig.providers.base import ChatMessage
from tests.fake_llm import ScriptItem, verbatim

ACTION_BY_SYSTEM_PROMPT = {
    prompts.BLUEPRINT_SYSTEM: "blueprint",
    prompts.PHASE_PLAN_SYSTEM: "phase_generation",
    prompts.PHASE_IMPLEMENTATION_SYSTEM: "phase_implementation",
    prompts.FILE_REGENERATION_SYSTEM: "file_regeneration",
    prompts.CODE_REVIEW_SYSTEM: "code_review",
    prompts.CONVERSATION_SYSTEM: "conversation",
    prompts.FIX_SYSTEM: "phase_implementation",  # a fix round (agents.fixes)
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


def _action_of_system(system: str) -> str:
    """The action a system prompt is for; a template's rules (prompts.with_app_rules) may stand in the middle."""
    if system in ACTION_BY_SYSTEM_PROMPT:
        return ACTION_BY_SYSTEM_PROMPT[system]
    for text, action in ACTION_BY_SYSTEM_PROMPT.items():
        head, _, tail = text.partition(prompts._APP_RULES)
        if tail and system.startswith(head) and system.endswith(tail):
            return action
    raise KeyError(system[:200])


def action_of(body: dict) -> str:
    return _action_of_system(chat_messages(body)[0].content)


def meant(body: dict) -> str:
    """What the offline model answers to this request, ignoring continuation and retry turns."""
    messages = chat_messages(body)
    while len(messages) > 2 and messages[-2].role == "assistant":
        messages = messages[:-2]
    return answer_for(_action_of_system(messages[0].content), messages)


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
            return verbatim(full[len(partial) :])
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


# -- answers that change files instead of writing them whole ----------------------------------------------

FILE_ACTIONS = ("phase_implementation", "file_regeneration", "code_review")


def _intended(body: dict) -> tuple[str, dict[str, str], dict[str, str]]:
    """The action, the current files in the prompt, and the files the offline model writes."""
    messages = chat_messages(body)
    return action_of(body), read_prompt(messages).files, parse_files(meant(body))


def heredoc(path: str, content: str) -> str:
    return f"cat > {path} << 'EOF'\n{content}EOF\n"


def edit_blocks(path: str, old: str, new: str) -> str:
    """SEARCH/REPLACE blocks turning `old` into `new`, each with enough context to match once."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    blocks, working = [], old
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        before = after = 1
        while True:
            search = "".join(a[max(0, i1 - before) : i2 + after])
            if working.count(search) == 1 or (i1 - before <= 0 and i2 + after >= len(a)):
                break
            before, after = before + 1, after + 1
        replace = "".join(a[max(0, i1 - before) : i1] + b[j1:j2] + a[i2 : i2 + after])
        working = edits.apply_edit(working, search, replace)
        blocks.append(f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n")
    assert working == new, "the blocks rebuild the new content"
    return "".join(blocks)


def changes_as(kind: str) -> Callable[[dict], ScriptItem]:
    """Existing files changed the way models write changes: "edits", "diff", "append", "elided"; new files
    (and files asked for again whole) as heredocs. "markdown" writes every file as a Markdown block."""

    def respond(body: dict) -> ScriptItem:
        if action_of(body) not in FILE_ACTIONS:
            return verbatim(meant(body))
        action, current, written = _intended(body)
        out = ["Here are the changes.\n"]
        for path, new in written.items():
            old = current.get(path)
            if kind == "markdown":
                out.append(f"**{path}**\n```{path.rsplit('.', 1)[-1]}\n{new}```\n")
            elif old is None or action == "file_regeneration" or old == new:
                out.append(heredoc(path, new))
            elif kind == "edits":
                out.append(edit_blocks(path, old, new))
            elif kind == "diff":
                diff = difflib.unified_diff(
                    old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
                )
                out.append("```diff\n" + "".join(diff) + "```\n")
            elif kind == "append" and new.startswith(old):
                out.append(f"cat >> {path} << 'EOF'\n{new[len(old) :]}EOF\n")
            elif kind == "elided":
                lines = new.splitlines(keepends=True)
                comment = {"css": "/* ... rest of the file unchanged ... */", "html": "<!-- ... rest unchanged -->"}
                marker = comment.get(path.rsplit(".", 1)[-1], "// ... rest of the file unchanged ...")
                out.append(heredoc(path, "".join(lines[: len(lines) // 3]) + marker + "\n"))
            else:
                out.append(heredoc(path, new))
        return verbatim("\n".join(out))

    return respond


def unplanned_paths(body: dict) -> ScriptItem:
    """Planned files under a made-up folder, plus a file nobody planned."""
    if action_of(body) not in FILE_ACTIONS:
        return verbatim(meant(body))
    _, _, written = _intended(body)
    out = [heredoc(f"src/{path}", content) for path, content in written.items()]
    out.append(heredoc("path/to/file", "placeholder\n"))
    return verbatim("".join(out))


def broken_script(*, fixed_on_retry: bool) -> Callable[[dict], ScriptItem]:
    """app.js written with its last lines missing (an unclosed function); asked again, fixed or not."""

    broken = "function unfinished() {\n  if (true) {\n"

    def respond(body: dict) -> ScriptItem:
        if action_of(body) not in FILE_ACTIONS:
            return verbatim(meant(body))
        action, _, written = _intended(body)
        if "app.js" in written:
            # The offline model changes files as they are: it would keep the broken end it was shown.
            written["app.js"] = written["app.js"].replace(broken, "")
            if not (fixed_on_retry and action == "file_regeneration"):
                written["app.js"] += broken
        return verbatim("".join(heredoc(path, content) for path, content in written.items()))

    return respond


def adds_a_package(name: str, version: str, *, fixed_on_retry: bool) -> Callable[[dict], ScriptItem]:
    """A React app's first phase also adds `name` to package.json; asked again, it removes it (or not)."""

    def respond(body: dict) -> ScriptItem:
        if action_of(body) not in FILE_ACTIONS:
            return verbatim(meant(body))
        action, files, written = _intended(body)
        if action == "phase_implementation" and "package.json" in files:
            manifest = json.loads(files["package.json"])
            manifest["dependencies"][name] = version
            written["package.json"] = json.dumps(manifest, indent=2) + "\n"
        elif action == "file_regeneration" and "package.json" in written and fixed_on_retry:
            manifest = json.loads(files["package.json"])
            manifest["dependencies"].pop(name, None)
            written["package.json"] = json.dumps(manifest, indent=2) + "\n"
        return verbatim("".join(heredoc(path, content) for path, content in written.items()))

    return respond
