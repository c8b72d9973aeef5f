"""The agent WebSocket (docs/architecture.md §9).

Async so that forwarding a group event is one `send_json` on the server loop, with no thread hop; every
command calls a sync service through `database_sync_to_async`. Model calls (chat replies) run on their
own threads so a slow provider never holds up the shared sync thread of other sockets.
"""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import transaction

from agents import events, frames, payloads, selectors, services, vibesdk
from agents.deployments import agent_deploy_preview, deploy_rate_enforce
from agents.events import LAYER_TYPE, group_name, replay, socket_reply
from agents.layers import OVERFLOW
from agents.models import Agent
from config.errors import RateLimited
from config.failures import AtelierError, failure_of
from config.ratelimits import enforce
from previews.origins import app_preview_url, preview_url

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024  # from the client
# A `user_suggestion` with inline base64 `images` (VibeSDK's client) may be larger, up to daphne's own cap.
MAX_IMAGE_FRAME_BYTES = 1024 * 1024
CATCH_UP_BATCH = 200
# Layer messages forwarded at most per wake-up of a socket that is behind (AgentConsumer._drain_layer).
DRAIN_BATCH = 100

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404

# Counted against the LLM quota before they run; `user_suggestion` and `retry_request` once their frame is valid.
LLM_COMMANDS = {"generate_all", "resume_generation"}


def _authorize(*, user, agent_id: str, ticket: str | None):
    """Returns (agent, close_code). Ticket first (any client), then the session (browser)."""
    from accounts.models import User
    from agents.models import Agent

    if ticket:
        user_id = services.ticket_consume(key=ticket, agent_id=agent_id)
        if user_id is None:
            return None, CLOSE_UNAUTHENTICATED
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            return None, CLOSE_UNAUTHENTICATED
    elif not getattr(user, "is_authenticated", False):
        return None, CLOSE_UNAUTHENTICATED
    agent = selectors.agent_get_for_user(user=user, agent_id=agent_id)
    if agent is not None:
        return agent, None
    exists = Agent.objects.filter(pk=agent_id).exists() if _is_uuid(agent_id) else False
    return None, (CLOSE_FORBIDDEN if exists else CLOSE_NOT_FOUND)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


class AgentConsumer(AsyncJsonWebsocketConsumer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._background: set[asyncio.Task] = set()

    async def connect(self):
        self.agent_id = self.scope["url_route"]["kwargs"]["agent_id"]
        # Preview URLs are computed for this client's view of the server (its port), never stored.
        self.request_host = dict(self.scope.get("headers", [])).get(b"host", b"").decode("latin1") or None
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        ticket = (query.get("ticket") or [None])[0]
        after_raw = (query.get("after") or [None])[0]
        self.agent, code = await database_sync_to_async(_authorize)(
            user=self.scope.get("user"), agent_id=self.agent_id, ticket=ticket
        )
        if code is not None:
            await self._refuse(code)
            return
        await self.accept()
        self.user = self.agent.owner
        self.group = group_name(self.agent.pk)
        # What this socket has been sent: the highest seq, and the highest durable seq (the replay point).
        self.last_sent = self.last_durable = 0
        await self.channel_layer.group_add(self.group, self.channel_name)

        # Live events that arrive meanwhile wait in this consumer's queue: they are handled after connect().
        after = _parse_after(after_raw)
        if after is None:
            state, seq = await database_sync_to_async(selectors.agent_state)(
                agent_id=self.agent.pk, request_host=self.request_host
            )
            # previewUrl beside the state too: VibeSDK's client reads it from the frame.
            preview = {"previewUrl": state["previewUrl"]} if state.get("previewUrl") else {}
            await self.send(text_data=frames.dumps({"type": "agent_connected", "seq": seq, "state": state, **preview}))
            self.last_sent = self.last_durable = seq
            if not state.get("generatedFilesInline", True) and not _has_origin(self.scope):
                # API clients (VibeSDK's) build their workspace from file frames when the snapshot could not
                # carry the contents; the web UI (always with an Origin) fetches them itself (contentsUrl).
                await database_sync_to_async(_file_frames)(agent=self.agent, channel=self.channel_name)
        else:
            # A durable seq this agent never reached (a client's stale number) would hide real events.
            self.last_sent = self.last_durable = min(after, self.agent.last_seq)
            await self._catch_up()

    async def _refuse(self, code: int):
        if _has_origin(self.scope):
            # A browser cannot read the status of a refused upgrade: accept, then close with the 44xx reason.
            await self.accept()
            await self.close(code)
        else:
            # Any other client (VibeSDK's SDK, scripts) gets the upgrade refused with HTTP 403, as VibeSDK
            # refuses: the SDK's reconnect backoff then keeps growing, where an accepted socket resets it.
            await self.close()

    async def disconnect(self, code):
        for task in list(self._background):
            task.cancel()
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # ------------------------------------------------------------------ server → client

    async def dispatch(self, message):
        # Forwarding an event touches no database: skip Channels' per-message hop to the sync thread
        # (aclose_old_connections), which was a quarter of the CPU per delivered frame (bench/README.md).
        kind = message["type"]
        if kind == LAYER_TYPE:
            await self.agent_event(message)
            await self._drain_layer()
        elif kind == OVERFLOW:
            await self.layer_overflow(message)
        else:
            await super().dispatch(message)

    async def _drain_layer(self):
        """Forward what the layer already holds for this socket (a socket that fell behind) in one go: each
        message taken through Channels' loop costs a task and an `asyncio.wait`. Bounded, so the client's
        own messages are still read between batches."""
        take = getattr(self.channel_layer, "receive_nowait", None)
        if take is None:
            return
        for _ in range(DRAIN_BATCH):
            message = take(self.channel_name)
            if message is None:
                return
            if message["type"] == LAYER_TYPE:
                await self.agent_event(message)
            elif message["type"] == OVERFLOW:
                await self.layer_overflow(message)
            else:
                await super().dispatch(message)

    async def agent_event(self, message):
        """Forward one frame, in seq order, never a durable one twice, and never past a hole.

        A durable frame names the durable seq before it (`prev`); when that is not the last durable frame this
        socket was sent, the layer lost or reordered some, and they are sent from the database first.
        Broadcast-only frames older than what was sent are stale and dropped (the file_generated that
        follows carries the whole file); replies to this socket always go out.
        """
        seq, prev, text = message["seq"], message["prev"], message["text"]
        if prev is None:
            if seq <= self.last_sent:
                if not message.get("reply"):
                    return
                # A reply overtaken by a replay from the database: it goes out, with a seq that keeps the order.
                seq = await database_sync_to_async(events.socket_seq)(self.agent.pk)
                text = frames.dumps({**frames.loads(text), "seq": seq})
        else:
            if seq <= self.last_durable:
                return
            if prev > self.last_durable:
                await self._catch_up(before=seq)
                if seq <= self.last_durable:
                    return
            self.last_durable = seq
        if message.get("kind") == "deployment_completed":
            text = self._seen_from_here(text)
        await self.send(text_data=text)
        self.last_sent = max(self.last_sent, seq)
        if message.get("kind") == "agent_deleted":
            await self.close(CLOSE_NOT_FOUND)

    async def layer_overflow(self, message):
        """The layer dropped messages for this socket (its queue was full): send the durable ones from the
        database, so the socket still ends with every durable event, in order."""
        logger.info("Socket for agent %s fell behind; replaying from seq %s", self.agent_id, self.last_durable)
        await self.channel_layer.group_add(self.group, self.channel_name)  # an expiry may have removed it
        await self._catch_up()

    async def _catch_up(self, before: int | None = None):
        """Send the durable events after the last one sent (and before `before`), from the database."""
        while True:
            batch = await database_sync_to_async(_durable_texts)(
                agent_id=self.agent.pk, after=self.last_durable, before=before, limit=CATCH_UP_BATCH
            )
            for seq, kind, text in batch:
                await self.send(text_data=self._seen_from_here(text) if kind == "deployment_completed" else text)
                self.last_durable = seq
                self.last_sent = max(self.last_sent, seq)
                if kind == "agent_deleted":
                    await self.close(CLOSE_NOT_FOUND)
                    return
            if len(batch) < CATCH_UP_BATCH:
                return

    def _seen_from_here(self, text: str) -> str:
        """A deployment_completed frame names the preview as this client reaches the server (never stored)."""
        frame = frames.loads(text)
        url = preview_url(deployment_id=frame["deploymentId"], request_host=self.request_host)
        app_url = app_preview_url(agent_id=self.agent.pk, request_host=self.request_host)
        return frames.dumps({**frame, "previewUrl": url, "previewURL": url, "appUrl": app_url})

    async def _reply(self, type: str, **fields):
        # Through the layer, behind the events already on their way: a reply never overtakes an older event.
        await database_sync_to_async(socket_reply)(
            agent_id=self.agent.pk, channel=self.channel_name, type=type, **fields
        )

    async def _error(self, message: str, code: str):
        await self._reply("error", error=message, code=code)

    # ------------------------------------------------------------------ client → server

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if bytes_data is not None and text_data is None:
            await self._error("Binary frames are not accepted; send JSON text.", "INVALID_FRAME")
            return
        size = len(text_data.encode())
        if size > MAX_FRAME_BYTES and (size > MAX_IMAGE_FRAME_BYTES or '"images"' not in text_data):
            await self._error("Frame larger than 64 KiB.", "FRAME_TOO_LARGE")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error("Malformed JSON.", "MALFORMED_JSON")
            return
        except RecursionError:
            # A frame of a few KiB can nest deeper than the interpreter's recursion limit.
            await self._error("Malformed JSON: nested too deeply.", "MALFORMED_JSON")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error("A message is a JSON object with a string `type`.", "INVALID_MESSAGE")
            return
        if size > MAX_FRAME_BYTES and not (content["type"] == "user_suggestion" and content.get("images")):
            await self._error("Frame larger than 64 KiB.", "FRAME_TOO_LARGE")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        handler = getattr(self, f"on_{kind}", None) if kind.isidentifier() else None
        if handler is None:
            await self._error(f"Unknown message type: {kind}", "UNKNOWN_TYPE")
            return

        async def checked():
            if kind in LLM_COMMANDS:
                await database_sync_to_async(self._enforce_llm_rate)()
            await handler(content)

        await self._guarded(kind, checked())

    async def _guarded(self, kind: str, work):
        """Run a command, turning its failure into an `error` frame on this socket."""
        try:
            await work
        except RateLimited as exc:
            await self._reply("rate_limit_error", error={"message": exc.message, **exc.details})
        except AtelierError as exc:  # provider errors too: one family, one mapping (config.failures)
            await self._reply("error", **failure_of(exc).socket_frame())
        except Exception as exc:
            if not await database_sync_to_async(Agent.objects.filter(pk=self.agent.pk).exists)():
                await self.close(CLOSE_NOT_FOUND)  # deleted meanwhile: not our error, and nothing left to do
                return
            logger.exception("WebSocket command %s failed for agent %s", kind, self.agent_id)
            await self._reply("error", **failure_of(exc).socket_frame())

    def _enforce_llm_rate(self):
        from modelconfig.selectors import user_uses_own_keys

        if user_uses_own_keys(user=self.user):
            return
        enforce(
            request=SimpleNamespace(user=self.user),
            group="llm",
            key=lambda group, request: str(request.user.pk),
            rate=settings.LLM_RATE,
            message="Too many model requests.",
        )

    async def on_generate_all(self, content):
        await database_sync_to_async(services.agent_start_generation)(agent=self.agent)

    async def on_stop_generation(self, content):
        await database_sync_to_async(services.agent_stop)(agent=self.agent)

    async def on_resume_generation(self, content):
        await database_sync_to_async(services.agent_resume)(agent=self.agent)

    async def on_user_suggestion(self, content):
        message = content.get("message")
        image_ids = content.get("imageIds") or []
        attachments = content.get("images") or []
        if not isinstance(message, str) or not isinstance(image_ids, list) or not isinstance(attachments, list):
            await self._error(
                "user_suggestion needs `message` (text) and optional `imageIds` (list) or `images` "
                "(list of {filename, mimeType, base64Data}).",
                "INVALID_INPUT",
            )
            return
        if len(image_ids) + len(attachments) > services.MAX_IMAGES_PER_TURN:
            await self._error(f"images: at most {services.MAX_IMAGES_PER_TURN} images per message.", "INVALID_INPUT")
            return
        # An invalid frame costs nothing: the text is checked before the LLM quota counts the turn.
        message = services.suggestion_text_checked(text=message)
        await database_sync_to_async(self._enforce_llm_rate)()
        # The reply calls a model: off the shared sync thread, and in the background so that a stop sent
        # meanwhile on this socket is handled at once.
        reply = sync_to_async(_run_db_call, thread_sensitive=False)(
            _user_suggestion, agent=self.agent, text=message, image_ids=image_ids, attachments=attachments
        )
        task = asyncio.create_task(self._guarded("user_suggestion", reply))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def on_retry_request(self, content):
        message_id = content.get("messageId")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            await self._error("retry_request needs `messageId`, the id of a failed request.", "INVALID_INPUT")
            return
        await database_sync_to_async(self._enforce_llm_rate)()
        await database_sync_to_async(services.agent_retry_request)(agent=self.agent, message_id=message_id)

    async def on_preview(self, content):
        # The HTTP deploy-preview's twin: the same per-user limit, one counter for both.
        await database_sync_to_async(deploy_rate_enforce)(user=self.user)
        await database_sync_to_async(agent_deploy_preview)(agent=self.agent, request_host=self.request_host)

    async def on_get_state(self, content):
        await database_sync_to_async(_state_reply)(
            agent_id=self.agent.pk, channel=self.channel_name, request_host=self.request_host
        )

    async def on_get_conversation_state(self, content):
        def messages():
            return payloads.conversation_page(selectors.messages_before(agent=self.agent))

        messages = await database_sync_to_async(messages)()
        await self._reply(
            "conversation_state",
            messages=messages,
            state=vibesdk.conversation_state(agent_id=str(self.agent.pk), messages=messages),
        )

    async def on_session_init(self, content):
        await self._error(
            "Per-session provider credentials are not accepted here: save your provider keys once in Settings → "
            "Models (/settings/, or POST /api/providers) and every session uses them.",
            "NOT_SUPPORTED",
        )

    async def on_deploy(self, content):
        await self._error(
            "Deploying to Cloudflare is not supported here: send `preview` for a live preview on this server.",
            "NOT_SUPPORTED",
        )

    async def on_clear_conversation(self, content):
        await database_sync_to_async(services.agent_clear_conversation)(agent=self.agent)

    async def on_get_model_configs(self, content):
        from modelconfig.apis import ModelConfigOutputSerializer
        from modelconfig.selectors import effective_configs

        def configs():
            return ModelConfigOutputSerializer(effective_configs(user=self.user), many=True).data

        await self._reply("model_configs_info", configs=await database_sync_to_async(configs)())


def _has_origin(scope) -> bool:
    return any(name == b"origin" for name, _ in scope.get("headers", []))


def _follow_up_files(*, agent) -> list[dict]:
    purposes = dict(agent.files.values_list("path", "purpose"))
    return [
        vibesdk.follow_up_file(agent_id=str(agent.pk), path=path, contents=contents, purpose=purposes.get(path, ""))
        for path, contents in selectors.agent_files(agent=agent).items()
    ]


def _user_suggestion(*, agent, text: str, image_ids: list, attachments: list):
    """A chat turn whose images may come inline (VibeSDK), stored and checked exactly like uploads."""
    from agents.images import image_from_base64

    stored = [image_from_base64(owner=agent.owner, attachment=a, agent=agent) for a in attachments]
    return services.agent_user_suggestion(agent=agent, text=text, image_ids=[*image_ids, *(str(i.pk) for i in stored)])


def _durable_texts(*, agent_id, after: int, before: int | None, limit: int) -> list[tuple[int, str, str]]:
    """Stored durable frames as text, each within the frame cap (rows written before the cap existed are cut)."""
    frames_ = replay(agent_id=agent_id, after=after, before=before, limit=limit)
    return [(frame["seq"], frame["type"], frames.bounded_text(agent_id, frame)) for frame in frames_]


def _state_reply(*, agent_id, channel: str, request_host: str | None) -> None:
    """`agent_state`, numbered while the snapshot's row lock is held: every durable event before its seq is
    in the state, and every later one reaches the socket after it."""
    with transaction.atomic():
        agent = Agent.objects.select_for_update().select_related("owner").get(pk=agent_id)
        state = payloads.agent_snapshot(agent, request_host=request_host)
        socket_reply(agent_id=agent_id, channel=channel, type="agent_state", state=state)


def _file_frames(*, agent, channel: str) -> None:
    """Every complete file as a bounded `file_generated` frame to one socket, in order with live events."""
    for file in _follow_up_files(agent=agent):
        socket_reply(
            agent_id=agent.pk,
            channel=channel,
            type="file_generated",
            message=f"Generated {file['filePath']}",
            file=file,
        )


def _run_db_call(func, **kwargs):
    from django.db import close_old_connections, connections

    close_old_connections()
    try:
        return func(**kwargs)
    finally:
        connections.close_all()


def _parse_after(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return max(0, int(raw))
    except ValueError:
        return None
