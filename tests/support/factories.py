"""factory_boy factories for the rows tests start from, written straight to the ORM (no run, no model call).

`PlannedAgentFactory` leaves an agent as its planning run would: the blueprint the offline model writes for the
query (a pure function of it), the template the catalog picks, and the first phase planned. A test about
planning itself runs it (`services.agent_generate_blueprint`) instead.
"""

from __future__ import annotations

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory, Password

from agents import catalog
from agents.events import seq_counter_init
from agents.models import Agent, AgentStatus, File, Message, MessageRole, Phase
from agents.offline_model.answers import blueprint_for
from agents.offline_model.design import spec_from_request

PASSWORD = "a-Strong-passw0rd"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = Password(PASSWORD)


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    role = MessageRole.USER
    text = "make it dark"


class AgentFactory(DjangoModelFactory):
    """An agent as `agent_create` leaves it: the request asked and said in the chat, nothing planned yet."""

    class Meta:
        model = Agent
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    query = "a todo list app"
    status = AgentStatus.PLANNING
    request = factory.RelatedFactory(
        MessageFactory, factory_related_name="agent", role=MessageRole.USER, text=factory.SelfAttribute("..query")
    )

    @factory.post_generation
    def seq_counter(agent, create, extracted, **kwargs):
        if create:
            seq_counter_init(agent_id=agent.pk)


def _offline_blueprint(query: str) -> dict:
    templates = [starter.summary() for starter in catalog.starters().values()]
    blueprint = blueprint_for(spec_from_request(query), templates=templates)
    blueprint["template"] = catalog.choose(requested=blueprint.get("template"), query=query).name
    return blueprint


class PhaseFactory(DjangoModelFactory):
    class Meta:
        model = Phase

    index = 0
    name = "Core"
    files = factory.LazyFunction(lambda: [{"path": "index.html", "purpose": "page"}])


class PlannedAgentFactory(AgentFactory):
    """An agent as its planning run leaves it: blueprint, title, template, phase budget and the first phase."""

    blueprint = factory.LazyAttribute(lambda agent: _offline_blueprint(agent.query))
    title = factory.LazyAttribute(lambda agent: agent.blueprint["title"][:200])
    template_name = factory.LazyAttribute(lambda agent: agent.blueprint["template"])
    phase_budget = factory.LazyFunction(lambda: settings.AGENT_MAX_PHASES)

    @factory.post_generation
    def first_phase(agent, create, extracted, **kwargs):
        if create:
            initial = agent.blueprint["initialPhase"]
            PhaseFactory(
                agent=agent,
                index=0,
                name=initial["name"],
                description=initial.get("description", ""),
                files=initial["files"],
                last_phase=bool(initial.get("lastPhase", False)),
            )


class FileFactory(DjangoModelFactory):
    class Meta:
        model = File

    path = factory.Sequence(lambda n: f"file{n}.js")
    content = "console.log('hello');\n"
    sha256 = factory.LazyAttribute(lambda file: File.digest(file.content))
