"""Retries inside a run, against fake providers that misbehave on the real wire (tests/fake_llm.py).

A retryable failure (a dropped stream, an error event inside a 200 stream, Anthropic's overloaded_error,
429 with or without Retry-After, 5xx) is tried again by the run itself, announced as `generation_retrying`,
from durable state; a refusal the provider would repeat fails at once with a code and a sentence naming
the fix. The SDKs' own retries are off inside a run, so `server.calls` counts exactly the run's attempts.
"""

import pytest

from agents import lifecycle, services
from agents.apis import _ndjson_line
from agents.models import Agent, AgentStatus, Event
from config.errors import InvalidInput
from config.failures import failure_of
from tests.agents.test_generation_on_real_wire import offline_responder
from tests.fake_llm import FakeLLMServer, Interrupt, Status, insufficient_quota
from tests.support.agents import files_of, generate

pytestmark = pytest.mark.django_db(transaction=True)

QUERY = "a todo list"


def _use(settings, server: FakeLLMServer) -> FakeLLMServer:
    settings.OPENAI_API_KEY = settings.ANTHROPIC_API_KEY = ""
    if server.flavor == "openai":
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.base_url, server.api_key
    else:
        settings.ANTHROPIC_BASE_URL, settings.ANTHROPIC_API_KEY = server.base_url, server.api_key
    settings.AUTO_DEPLOY_PREVIEW = False
    return server


@pytest.fixture(params=["openai", "anthropic"])
def provider(request, settings):
    with FakeLLMServer(flavor=request.param, responder=offline_responder) as server:
        yield _use(settings, server)


@pytest.fixture
def openai_provider(settings):
    with FakeLLMServer(flavor="openai", responder=offline_responder) as server:
        yield _use(settings, server)


def _planned(user) -> Agent:
    agent = services.agent_create(owner=user, query=QUERY)
    services.agent_generate_blueprint(agent=agent)
    agent.refresh_from_db()
    return agent


def _payloads(agent: Agent, type_: str) -> list[dict]:
    return list(Event.objects.filter(agent=agent, type=type_).order_by("seq").values_list("payload", flat=True))


def test_a_dropped_stream_and_an_in_stream_error_are_retried_to_the_same_files(provider, user):
    undisturbed = _planned(user)
    generate(undisturbed)
    assert undisturbed.status == AgentStatus.COMPLETE, undisturbed.error

    agent = _planned(user)
    # The first two calls of the generation break off mid-answer: a dropped connection, then the provider's
    # error event inside the 200 stream (Anthropic's overloaded_error).
    provider.script([Interrupt("disconnect", after=3), Interrupt("error", after=3)])
    outcome = generate(agent)

    assert outcome.status == "complete", agent.error
    assert files_of(agent) == files_of(undisturbed)
    retries = _payloads(agent, "generation_retrying")
    assert [(r["attempt"], r["maxAttempts"]) for r in retries] == [(2, 4), (3, 4)]
    assert all(r["reason"] and r["retryInSeconds"] >= 0 for r in retries)
    assert not _payloads(agent, "error")


def test_a_file_finished_before_the_stream_dropped_is_never_asked_for_again(openai_provider, user):
    agent = _planned(user)
    phase_files = [f["path"] for f in agent.phases.get(index=0).files]
    # Long enough to finish the first file of the phase, then the connection drops.
    openai_provider.script([Interrupt("disconnect", after=60)])
    generate(agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    types = list(Event.objects.filter(agent=agent).order_by("seq").values_list("type", "payload"))
    before_retry = [
        p["file"]["filePath"]
        for t, p in types[: [t for t, _ in types].index("generation_retrying")]
        if t == "file_generated"
    ]
    assert before_retry and before_retry[0] == phase_files[0]
    retry_prompt = [r.json["messages"][-1]["content"] for r in openai_provider.requests if r.method == "POST"][2]
    asked = retry_prompt.split("<files_to_write>")[1].split("</files_to_write>")[0]
    assert phase_files[-1] in asked
    assert not any(path in asked for path in before_retry)


def test_429_waits_at_least_what_retry_after_asks(openai_provider, user, settings):
    agent = _planned(user)
    openai_provider.script([Status(429, "Rate limit reached", retry_after=0.3, retry_after_ms=None), Status(429)])
    generate(agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    waits = [r["retryInSeconds"] for r in _payloads(agent, "generation_retrying")]
    assert waits[0] >= 0.3
    assert waits[1] <= settings.GENERATION_RETRY_BASE_SECONDS * 2  # no Retry-After: the backoff alone


def test_a_provider_asking_for_a_longer_wait_than_allowed_fails_with_the_wait(openai_provider, user, settings):
    settings.GENERATION_RETRY_MAX_SECONDS = 5
    agent = _planned(user)
    calls = openai_provider.calls
    openai_provider.script([Status(429, "Rate limit reached", retry_after=3600, retry_after_ms=None)])
    generate(agent)

    assert agent.status == AgentStatus.FAILED
    assert "wait 3600s" in agent.error
    assert openai_provider.calls - calls == 1


@pytest.mark.parametrize(
    ("answer", "code", "fix"),
    [
        (Status(401, "Incorrect API key provided"), "KEY_REFUSED", "Check or replace the key in Settings"),
        (Status(403, "Permission denied"), "KEY_REFUSED", "Check or replace the key in Settings"),
        (insufficient_quota(), "INSUFFICIENT_QUOTA", "Add credit"),
        (Status(404, "The model does not exist", error_type="model_not_found"), "MODEL_NOT_FOUND", "another model"),
        (Status(400, "messages: too many images"), "REQUEST_REFUSED", "would refuse it again"),
    ],
    ids=["401", "403", "insufficient_quota", "model_not_found", "400"],
)
def test_a_refusal_the_provider_would_repeat_fails_at_once_naming_cause_and_fix(
    openai_provider, user, answer, code, fix
):
    agent = _planned(user)
    calls = openai_provider.calls
    openai_provider.always = answer
    generate(agent)

    assert agent.status == AgentStatus.FAILED
    assert openai_provider.calls - calls == 1  # neither the SDK nor the run asked again
    [error] = _payloads(agent, "error")
    assert error["code"] == code
    assert fix in error["error"] == agent.error
    assert openai_provider.api_key not in agent.error
    assert not _payloads(agent, "generation_retrying")


def test_a_provider_that_always_fails_ends_the_run_failed_after_the_attempts(openai_provider, user, settings):
    agent = _planned(user)
    calls = openai_provider.calls
    openai_provider.always = Status(503, "Service unavailable")
    generate(agent)

    assert agent.status == AgentStatus.FAILED
    assert openai_provider.calls - calls == settings.GENERATION_MAX_ATTEMPTS
    assert len(_payloads(agent, "generation_retrying")) == settings.GENERATION_MAX_ATTEMPTS - 1
    assert "Gave up after 4 attempts" in agent.error
    assert _payloads(agent, "error")[-1]["code"] == "PROVIDER_UNAVAILABLE"


def test_an_error_of_the_family_raised_in_a_run_reaches_every_channel_with_its_code(user):
    agent = services.agent_create(owner=user, query=QUERY)

    def work(*, agent, cancel):
        raise InvalidInput("query: the description names no app.")

    outcome = lifecycle.run(agent_id=agent.pk, work=work)

    assert outcome.status == "failed"
    [event] = _payloads(agent, "error")
    assert (event["code"], event["error"]) == ("INVALID_INPUT", "query: the description names no app.")
    assert _ndjson_line(event) == {
        "type": "error",
        "error": {"type": "INVALID_INPUT", "message": "query: the description names no app."},
    }
    assert Agent.objects.get(pk=agent.pk).status == AgentStatus.FAILED


def test_one_mapping_gives_the_envelope_the_ndjson_line_and_the_socket_frame():
    from modelconfig.providers.base import ProviderError

    failure = failure_of(ProviderError("Your key has no credit left.", status=429, code="INSUFFICIENT_QUOTA"))

    error = {"type": "PROVIDER_ERROR", "message": "Your key has no credit left.", "code": "INSUFFICIENT_QUOTA"}
    assert failure.envelope() == {"success": False, "error": error}
    assert failure.ndjson_line() == {"type": "error", "error": error}
    assert failure.socket_frame() == {"error": "Your key has no credit left.", "code": "INSUFFICIENT_QUOTA"}
    assert failure.status == 502
    assert failure_of(KeyError("secret")).socket_frame() == {
        "error": "Something went wrong on our side.",
        "code": "INTERNAL",
    }
