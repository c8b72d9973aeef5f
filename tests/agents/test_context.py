"""Prompts fit the model's context window: windows by model, files outlined, nothing too large sent."""

from __future__ import annotations

import pytest

from agents import context
from modelconfig.providers.base import ChatMessage, ModelSettings


@pytest.mark.parametrize(
    "model,window",
    [
        ("gpt-4o-mini", 128_000),
        ("gpt-5-mini", 400_000),
        ("claude-sonnet-4-5", 200_000),
        ("deepseek-chat", 64_000),
        ("llama3.1:8b", 8_192),
        ("qwen3-32b", 128_000),
        ("something-new", context.UNKNOWN_MODEL_WINDOW),
    ],
)
def test_known_models_have_a_default_window(model, window):
    assert context.window_for(ModelSettings(provider="openai", model=model)) == window


def test_a_configured_window_wins_and_the_offline_model_has_none():
    assert context.window_for(ModelSettings(provider="openai", model="gpt-4o", context_window=16_000)) == 16_000
    assert context.window_for(ModelSettings(provider="offline", model="offline")) is None


def test_the_answer_keeps_its_room_in_the_window():
    settings = ModelSettings(provider="openai", model="m", context_window=16_000, max_tokens=2_000)
    assert context.prompt_budget(settings) == 12_000  # at least a quarter for the answer
    settings = ModelSettings(provider="openai", model="m", context_window=16_000, max_tokens=15_000)
    assert context.prompt_budget(settings) == 8_000  # at most half


def render(files):
    return [ChatMessage(role="user", content="".join(f"{p}\n{c}" for p, c in sorted(files.items())))]


FILES = {
    "app.js": "function start() {}\nexport const store = 1;\n" * 100,
    "styles.css": ".card { x: 1 }\n" * 100,
    "index.html": '<main id="app"></main>\n' * 10,
}


def test_prompts_that_fit_are_unchanged():
    messages, outlined = context.fit(render, files=FILES, keep=["app.js"], budget=100_000)
    assert outlined == [] and messages == render(FILES)


def test_files_outside_the_phase_are_outlined_first_largest_first():
    outlined_css = context.outline("styles.css", FILES["styles.css"])
    budget = context.estimate_tokens(render({**FILES, "styles.css": outlined_css}))
    messages, outlined = context.fit(render, files=FILES, keep=["app.js"], budget=budget)

    assert outlined == ["styles.css"]
    assert FILES["app.js"] in messages[0].content
    assert context.estimate_tokens(messages) <= budget


def test_an_outline_names_purpose_and_definitions():
    text = context.outline("app.js", FILES["app.js"], "State and rendering")
    assert "Purpose: State and rendering" in text and "Defines: start, store" in text
    assert "#app" in context.outline("index.html", FILES["index.html"])


def test_nothing_that_cannot_fit_is_returned():
    with pytest.raises(context.ContextTooSmall, match="context window"):
        context.fit(render, files=FILES, keep=[], budget=5)
