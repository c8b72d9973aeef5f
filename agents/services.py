"""Writes on agents: create, start/stop/resume generation, chat, conversation, tickets.

Views and the consumer call these; the long work happens in the run task (agents.tasks).
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from agents import jsonlenient, lifecycle, modelcalls, pipeline, prompts, summaries
from agents.events import emit, seq_counter_init
from agents.models import Agent, AgentStatus, Image, Message, MessageRole
from config.errors import Conflict, InvalidInput, NotFound
from config.failures import AtelierError
from modelconfig.providers.base import ProviderError

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 20_000
MAX_IMAGES_PER_TURN = 2


@transaction.atomic
def agent_create(*, owner, query: str, images: Iterable[Image] = (), template: str | None = None) -> Agent:
    agent = Agent.objects.create(owner=owner, query=query, status=AgentStatus.PLANNING, template_name=template or "")
    image_ids = []
    for image in images:
        image.agent = agent
        image.save(update_fields=["agent"])
        image_ids.append(str(image.pk))
    Message.objects.create(agent=agent, role=MessageRole.USER, text=query, image_ids=image_ids)
    seq_counter_init(agent_id=agent.pk)
    return agent


def agent_generate_blueprint(*, agent: Agent) -> dict:
    """Write the blueprint now, in the caller's thread, as the agent's first run (CLI, tests, benchmarks)."""
    outcome = pipeline.run(agent_id=agent.pk)
    agent.refresh_from_db()
    if agent.blueprint is None:
        raise pipeline.GenerationFailed(
            agent.error or f"The blueprint was not written ({outcome.status}).", "BLUEPRINT_FAILED"
        )
    return agent.blueprint


def agent_start_generation(*, agent: Agent) -> bool:
    """Ask for generation; enqueue a run unless one is working already. Returns whether one was enqueued."""
    return lifecycle.request_generation(agent_id=agent.pk)


def agent_stop(*, agent: Agent) -> None:
    """Stop: the run in flight sees the flag within a fraction of a second and says generation_stopped."""
    lifecycle.request_stop(agent_id=agent.pk)


def agent_resume(*, agent: Agent) -> bool:
    emit(agent.pk, "generation_resumed", message="Resuming generation")
    return agent_start_generation(agent=agent)


def _images_of_owner(*, agent: Agent, image_ids: list[str]) -> list[Image]:
    if len(image_ids) > MAX_IMAGES_PER_TURN:
        raise InvalidInput(f"imageIds: at most {MAX_IMAGES_PER_TURN} images per message.")
    try:
        ids = [uuid.UUID(str(i)) for i in image_ids]
    except ValueError:
        raise InvalidInput("imageIds: not a valid image id.")
    images = list(Image.objects.filter(pk__in=ids, owner=agent.owner_id, agent=agent))
    if len(images) != len(set(ids)):
        raise InvalidInput("imageIds: unknown image (upload it with POST /api/agent/<id>/images first).")
    return images


def suggestion_text_checked(*, text) -> str:
    """A chat message as sent, stripped; refused (before anything is counted or stored) unless it is text
    of 1 to MAX_QUERY_CHARS characters."""
    if not isinstance(text, str):
        raise InvalidInput("message: must be text.")
    text = text.strip()
    if not text:
        raise InvalidInput("message: write what you would like to change.")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"message: at most {MAX_QUERY_CHARS} characters.")
    return text


def agent_user_suggestion(*, agent: Agent, text: str, image_ids: list[str] | None = None) -> Message:
    """A chat turn: answer it and, when the conversation model takes it for a change request, queue it for
    the next phase and start generation when idle. Thanks, greetings and questions are only answered."""
    text = suggestion_text_checked(text=text)
    images = _images_of_owner(agent=agent, image_ids=list(image_ids or []))
    history = [{"role": m.role, "text": m.text} for m in Message.objects.filter(agent=agent, cleared=False)]
    message = Message.objects.create(
        agent=agent, role=MessageRole.USER, text=text, image_ids=[str(i.pk) for i in images]
    )
    emit(agent.pk, "user_message", message=text, messageId=message.pk, imageIds=message.image_ids)
    summaries.warn_if_images_unseen(agent=agent, action="phase_implementation", count=len(images))
    try:
        decision = agent_reply(agent=agent, history=history, text=text, images=images)
    except AtelierError as exc:
        # The model could not even answer: the request fails now, visibly, rather than waiting for a run that
        # would meet the same refusal.
        lifecycle.fail_requests(agent_id=agent.pk, message_ids=[message.pk], message=exc.message, code=exc.code)
        raise
    if decision.is_change:
        with transaction.atomic():
            Message.objects.filter(pk=message.pk).update(pending=True)
            Agent.objects.filter(pk=agent.pk).update(phase_budget=F("phase_budget") + settings.AGENT_PHASES_PER_REQUEST)
        message.pending = True
        agent_start_generation(agent=agent)
    return message


def agent_retry_request(*, agent: Agent, message_id: int) -> Message:
    """Send a failed request again: it is pending once more and generation starts when idle."""
    message = Message.objects.filter(agent=agent, pk=message_id, role=MessageRole.USER).first()
    if message is None:
        raise NotFound("No such request in this app's conversation.")
    if not message.error:
        raise Conflict("This request has not failed; there is nothing to retry.")
    Message.objects.filter(pk=message.pk).update(pending=True, error="")
    emit(agent.pk, "request_retried", message="Trying your request again", messageId=message.pk)
    agent_start_generation(agent=agent)
    message.refresh_from_db()
    return message


def _reply_so_far(answer: str) -> str:
    """The part of a streamed decision object the user should see: its reply (prose answers as they are)."""
    if answer.lstrip().startswith(("{", "`")):
        return jsonlenient.string_value_prefix(answer, "reply") or ""
    return answer


def agent_reply(*, agent: Agent, history: list[dict], text: str, images: list[Image]) -> prompts.ConversationDecision:
    """Stream the conversation model's reply as conversation_response frames (the last one durable) and
    return its decision: a change request, or conversation.

    One call, no SDK retries (each would be a refused call too): when it fails in a way that may pass, the
    request is acknowledged plainly (as a change: a request is never dropped) and the run, which retries
    visibly, builds it; a refusal it would repeat (a revoked key, no credit) is raised for the request to
    fail now.
    """
    conversation_id = f"c-{uuid.uuid4().hex[:12]}"
    modelcalls.check_call_budget(agent)
    client, thinking = modelcalls.thinking_client(agent, "conversation", sdk_retries=0)
    messages = prompts.conversation_messages(
        blueprint=agent.blueprint, history=history, message=text, images=pipeline.images_for([i.pk for i in images])
    )
    parts: list[str] = []
    shown = ""
    last_sent = time.monotonic()
    try:
        for delta in client.stream(messages):
            parts.append(delta)
            if time.monotonic() - last_sent >= pipeline.CHUNK_EVENT_INTERVAL:
                reply = _reply_so_far("".join(parts))
                if reply != shown:
                    emit(
                        agent.pk,
                        "conversation_response",
                        message=reply,
                        conversationId=conversation_id,
                        isStreaming=True,
                    )
                    shown = reply
                last_sent = time.monotonic()
    except ProviderError as exc:
        if not exc.retryable:
            raise
        logger.info("Agent %s: the chat reply failed (%s); acknowledging the request plainly", agent.pk, exc.code)
        parts = [_reply_so_far("".join(parts))]  # a cut decision object is not a reply
    finally:
        thinking.flush()
        pipeline.record_usage(agent=agent, client=client, action="conversation")
    decision = prompts.read_conversation_answer("".join(parts))
    if not decision.reply:
        decision = prompts.ConversationDecision(
            intent=decision.intent, reply="Noted: I'll work that into the next phase."
        )
    Message.objects.create(agent=agent, role=MessageRole.ASSISTANT, text=decision.reply)
    emit(
        agent.pk,
        "conversation_response",
        message=decision.reply,
        conversationId=conversation_id,
        isStreaming=False,
        intent=decision.intent,
    )
    return decision


def agent_clear_conversation(*, agent: Agent) -> None:
    Message.objects.filter(agent=agent, cleared=False).update(cleared=True)
    emit(agent.pk, "conversation_cleared", message="Conversation cleared")


def agent_delete(*, agent: Agent) -> None:
    """Stop the run first (its call in flight is cancelled), let it end, tell open sockets, then delete."""
    agent_stop(agent=agent)
    if not lifecycle.wait_until_idle(agent_id=agent.pk):
        logger.warning("Agent %s: its run did not let go in time; deleting under it", agent.pk)
    # Open sockets forward it and close with 4404; a blueprint stream ends with a NOT_FOUND line.
    emit(agent.pk, "agent_deleted", message="This app was deleted.")
    agent.delete()


# ------------------------------------------------------------------------------------------ tickets

_TICKET_PREFIX = "atelier:ws-ticket:"


def ticket_issue(*, user, agent: Agent) -> str:
    """A single-use ticket, valid WS_TICKET_SECONDS, that opens this agent's socket for this user."""
    key = secrets.token_urlsafe(32)
    cache.set(_TICKET_PREFIX + key, {"user": user.pk, "agent": str(agent.pk)}, timeout=settings.WS_TICKET_SECONDS)
    return key


def ticket_consume(*, key: str, agent_id) -> int | None:
    """The user id the ticket was issued to, once; None when unknown, expired, used or for another agent."""
    if not key or len(key) > 100:
        return None
    cache_key = _TICKET_PREFIX + key
    value = cache.get(cache_key)
    # delete() says whether this caller removed it: only one consumer of a ticket wins.
    if value is None or not cache.delete(cache_key):
        return None
    if value["agent"] != str(agent_id):
        return None
    return value["user"]
