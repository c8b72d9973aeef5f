"""Provider clients against answers shaped the way real models send them, over the real SDKs and HTTP.

Reasoning in its own field or as a leading `<think>` block, answers cut at the output limit, and the
parameter refusals of DeepSeek, OpenAI's reasoning models and Anthropic, each sent verbatim by the fake
server in token-sized chunks.
"""

from __future__ import annotations

import pytest

from modelconfig.providers.anthropic_client import AnthropicClient
from modelconfig.providers.base import STOP_END, STOP_LENGTH, ChatClient, ChatMessage
from modelconfig.providers.openai_compat import OpenAIClient
from modelconfig.providers.reasoning import ThinkFilter
from tests.fake_llm import FakeLLMServer, Status, Stream, token_chunks, verbatim

CLIENTS: dict[str, type[ChatClient]] = {"openai": OpenAIClient, "anthropic": AnthropicClient}
HELLO = [ChatMessage(role="user", content="Write the file")]
THOUGHTS = "The user wants a page. Draft:\ncat > index.html << 'EOF'\n<h1>{\"done\": true}</h1>\nEOF\nOK."
ANSWER = "cat > index.html << 'EOF'\n<h1>Hi</h1>\nEOF\n"


@pytest.fixture(params=["openai", "anthropic"])
def server(request: pytest.FixtureRequest) -> FakeLLMServer:
    return request.getfixturevalue(f"fake_{request.param}")


def client_for(server: FakeLLMServer, **overrides: object) -> tuple[ChatClient, list[str]]:
    client = CLIENTS[server.flavor](action="phase_implementation", settings=server.settings(**overrides))
    thoughts: list[str] = []
    client.on_reasoning = thoughts.append
    return client, thoughts


@pytest.mark.parametrize("opener,closer", [("<think>", "</think>"), ("<thinking>", "</thinking>")])
def test_a_leading_think_block_is_reasoning_not_answer(server, opener, closer) -> None:
    server.script([verbatim(f"\n{opener}\n{THOUGHTS}\n{closer}\n\n{ANSWER}")])
    client, thoughts = client_for(server)

    assert "".join(client.stream(HELLO)) == ANSWER
    assert "".join(thoughts).strip() == THOUGHTS
    assert client.stop_reason == STOP_END


def test_an_unclosed_think_block_leaves_no_answer(server) -> None:
    server.script([verbatim(f"<think>{THOUGHTS}", finish="length")])
    client, thoughts = client_for(server)

    assert "".join(client.stream(HELLO)) == ""
    assert "".join(thoughts) == THOUGHTS
    assert client.stop_reason == STOP_LENGTH


def test_think_later_in_the_answer_is_content(server) -> None:
    text = "cat > notes.md << 'EOF'\nUse <think> tags.\n</think>\nEOF\n"
    server.script([verbatim(text)])
    client, thoughts = client_for(server)

    assert "".join(client.stream(HELLO)) == text
    assert thoughts == []


def test_reasoning_in_the_protocols_own_field_reaches_on_reasoning(server) -> None:
    server.script([Stream(token_chunks(ANSWER), reasoning=token_chunks(THOUGHTS))])
    client, thoughts = client_for(server)

    assert "".join(client.stream(HELLO)) == ANSWER
    assert "".join(thoughts) == THOUGHTS


def test_an_answer_cut_at_the_output_limit_is_reported(server) -> None:
    server.script([verbatim("cat > app.js << 'EOF'\nconst a = ", finish="length")])
    client, _ = client_for(server)

    assert "".join(client.stream(HELLO)) == "cat > app.js << 'EOF'\nconst a = "
    assert client.stop_reason == STOP_LENGTH


def test_think_filter_gives_the_same_split_for_every_chunking() -> None:
    text = f"  <think>{THOUGHTS}</think>\n{ANSWER}"
    for size in range(1, 12):
        think = ThinkFilter()
        reasoning, answer = [], []
        for start in range(0, len(text), size):
            r, a = think.feed(text[start : start + size])
            reasoning.append(r)
            answer.append(a)
        r, a = think.finish()
        assert ("".join(reasoning) + r, "".join(answer) + a) == (THOUGHTS, ANSWER)


# -- parameter refusals ---------------------------------------------------------------------------------

DEEPSEEK_REFUSAL = "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]"
OPENAI_REFUSAL = (
    "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
)
OPENAI_TEMPERATURE_REFUSAL = (
    "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported."
)


def test_deepseek_token_range_is_adapted_and_remembered(fake_openai) -> None:
    fake_openai.script([Status(400, DEEPSEEK_REFUSAL), verbatim("one"), verbatim("two")])

    first, _ = client_for(fake_openai, max_tokens=16384)
    assert "".join(first.stream(HELLO)) == "one"
    second, _ = client_for(fake_openai, max_tokens=16384)
    assert "".join(second.stream(HELLO)) == "two"

    sent = [r.json["max_tokens"] for r in fake_openai.requests]
    assert sent == [16384, 8192, 8192]


def test_reasoning_model_refusals_are_adapted_once_per_model(fake_openai) -> None:
    fake_openai.script(
        [
            Status(400, OPENAI_REFUSAL, param="max_tokens"),
            Status(400, OPENAI_TEMPERATURE_REFUSAL, param="temperature"),
            verbatim("first"),
            verbatim("second"),
        ]
    )

    for expected in ("first", "second"):
        client, _ = client_for(fake_openai, model="gpt-5-mini", max_tokens=4000)
        assert "".join(client.stream(HELLO)) == expected

    assert len(fake_openai.requests) == 4  # two refused, then one request per call
    last = fake_openai.last_request.json
    assert last["max_completion_tokens"] == 4000
    assert "max_tokens" not in last and "temperature" not in last


def test_adaptations_are_per_model(fake_openai) -> None:
    fake_openai.script([Status(400, DEEPSEEK_REFUSAL), verbatim("a"), verbatim("b")])
    client, _ = client_for(fake_openai, model="deepseek-chat", max_tokens=16384)
    "".join(client.stream(HELLO))
    other, _ = client_for(fake_openai, model="other-model", max_tokens=16384)
    "".join(other.stream(HELLO))

    assert fake_openai.last_request.json["max_tokens"] == 16384


def test_anthropic_output_limit_refusal_is_adapted(fake_anthropic) -> None:
    refusal = "max_tokens: 64000 > 32000, which is the maximum allowed number of output tokens for claude-x"
    fake_anthropic.script([Status(400, refusal), verbatim("ok")])
    client, _ = client_for(fake_anthropic, max_tokens=64000)

    assert "".join(client.stream(HELLO)) == "ok"
    assert [r.json["max_tokens"] for r in fake_anthropic.requests] == [64000, 32000]


def test_an_unrelated_bad_request_is_not_retried(fake_openai) -> None:
    fake_openai.script([Status(400, "messages: at least one message is required")])
    client, _ = client_for(fake_openai)

    with pytest.raises(Exception, match="at least one message"):
        "".join(client.stream(HELLO))
    assert len(fake_openai.requests) == 1
