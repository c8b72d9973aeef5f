"""The run lifecycle of an agent: the only writer of its status, lease and flags.

One run at a time works on an agent, while it holds the agent's lease (owner + expiry, renewed by the
watchdog, taken with a conditional UPDATE). Clients ask for work with `request_planning`,
`request_generation` and `request_stop`; the run moves the agent through the named transitions
(`start_planning`, `start_generation`, `mark_complete`, `mark_stopped`, `mark_failed`). The blueprint is
the first step of the same run as the phases, so a stop or a `generate_all` behaves the same whenever it
arrives.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from agents.events import emit
from agents.models import (
    ACTIVE_STATUSES,
    Agent,
    AgentStatus,
    Event,
    File,
    Message,
    MessageRole,
    Phase,
    PhaseStatus,
)
from config.database import release_idle_connection
from config.failures import AtelierError, failure
from modelconfig.providers.base import CancelToken, GenerationCancelled

logger = logging.getLogger(__name__)

TERMINAL_STATUSES = (AgentStatus.COMPLETE, AgentStatus.STOPPED, AgentStatus.FAILED)
# How long a delete waits for the run to let go (a stop is seen within a fraction of a second; a run in a
# process that stopped answering is deleted under anyway and ends quietly when it notices).
DELETE_WAIT_SECONDS = 10.0


@dataclass
class RunOutcome:
    status: str  # planned | complete | stopped | failed | busy | lease_lost | handed_off | deleted
    detail: str = ""


Work = Callable[..., RunOutcome]


# ---------------------------------------------------------------------------------------------- lease


def take_lease(*, agent_id, owner: str) -> bool:
    """Atomically take the agent's lease when free, expired or already ours."""
    now = timezone.now()
    taken = (
        Agent.objects.filter(pk=agent_id)
        .filter(Q(lease_owner="") | Q(lease_expires_at__lt=now) | Q(lease_owner=owner))
        .update(lease_owner=owner, lease_expires_at=now + timezone.timedelta(seconds=settings.AGENT_LEASE_SECONDS))
    )
    return taken == 1


def renew_lease(*, agent_id, owner: str) -> bool:
    expires = timezone.now() + timezone.timedelta(seconds=settings.AGENT_LEASE_SECONDS)
    return Agent.objects.filter(pk=agent_id, lease_owner=owner).update(lease_expires_at=expires) == 1


def release_lease(*, agent_id, owner: str) -> None:
    Agent.objects.filter(pk=agent_id, lease_owner=owner).update(lease_owner="", lease_expires_at=None)


def run_owner() -> str:
    """A fresh lease owner naming the process that runs (host and pid), for operators and crash tests."""
    return f"run-{socket.gethostname()[:24]}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def lease_is_live(agent: Agent) -> bool:
    return bool(agent.lease_owner) and agent.lease_expires_at is not None and agent.lease_expires_at > timezone.now()


class Watchdog:
    """Renews the lease while a run works, and calls `on_cancel` when a stop is asked for or the lease is lost.

    `start()` / `stop()` and the flags are the whole interface. The watching itself is done by the process's
    one `RunWatcher`, for every run of the process at once.
    """

    def __init__(self, *, agent_id, owner: str, on_cancel: Callable[[], None]):
        self.agent_id, self.owner, self.on_cancel = agent_id, owner, on_cancel
        self.lost = False
        self.stop_seen = False
        self.draining = False  # the process is shutting down: hand the run over, do not stop it
        self.renewed_at = time.monotonic()

    @property
    def settled(self) -> bool:
        return self.lost or self.stop_seen or self.draining

    def start(self) -> None:
        self.renewed_at = time.monotonic()  # the lease was just taken
        watcher.add(self)

    def stop(self) -> None:
        watcher.remove(self)


class RunWatcher:
    """One thread per process watches all of its runs: a single query per tick finds the stops asked for
    (5 ticks a second, whatever the number of runs), and a single UPDATE renews every lease the process
    holds, every lease/3. A run whose lease another owner took (or whose agent is gone) is cancelled.

    The thread holds no database connection while the process has no run.
    """

    POLL_SECONDS = 0.2

    def __init__(self) -> None:
        self._runs: dict[int, Watchdog] = {}
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self.draining = False

    def add(self, watchdog: Watchdog) -> None:
        with self._changed:
            if self.draining:
                watchdog.draining = True
                watchdog.on_cancel()
            self._runs[id(watchdog)] = watchdog
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch_forever, name="atelier-run-watcher", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def remove(self, watchdog: Watchdog) -> None:
        with self._changed:
            self._runs.pop(id(watchdog), None)

    def watching(self) -> int:
        with self._changed:
            return len(self._runs)

    def drain(self) -> int:
        """The process is shutting down: cancel every run so that it hands its agent over. Returns how many."""
        with self._changed:
            self.draining = True
            runs = [w for w in self._runs.values() if not w.settled]
        for watchdog in runs:
            watchdog.draining = True
            watchdog.on_cancel()
        return len(runs)

    def _watch_forever(self) -> None:
        while True:
            with self._changed:
                if not self._runs:
                    connection.close()
                while not self._runs:
                    self._changed.wait()
            try:
                self._tick()
                release_idle_connection()
            except Exception:  # noqa: BLE001 - the watcher serves every run: it must outlive a database hiccup
                logger.warning("Watching the runs failed; retrying", exc_info=True)
                connection.close()
            time.sleep(self.POLL_SECONDS)

    def _tick(self) -> None:
        with self._changed:
            runs = [w for w in self._runs.values() if not w.settled]
        if not runs:
            return
        ids = {w.agent_id for w in runs}
        stopped = {str(pk) for pk in Agent.objects.filter(pk__in=ids, stop_requested=True).values_list("pk", flat=True)}
        for watchdog in runs:
            if str(watchdog.agent_id) in stopped:
                watchdog.stop_seen = True
                watchdog.on_cancel()
        renew_every = max(1.0, settings.AGENT_LEASE_SECONDS / 3)
        due = [w for w in runs if not w.settled and time.monotonic() - w.renewed_at >= renew_every]
        if due:
            self._renew(due)

    def _renew(self, due: list[Watchdog]) -> None:
        now = time.monotonic()
        expires = timezone.now() + timezone.timedelta(seconds=settings.AGENT_LEASE_SECONDS)
        ours = Q()
        for watchdog in due:
            ours |= Q(pk=watchdog.agent_id, lease_owner=watchdog.owner)
        Agent.objects.filter(ours).update(lease_expires_at=expires)
        held = {(str(pk), owner) for pk, owner in Agent.objects.filter(ours).values_list("pk", "lease_owner")}
        for watchdog in due:
            if (str(watchdog.agent_id), watchdog.owner) in held:
                watchdog.renewed_at = now
            else:
                watchdog.lost = True
                watchdog.on_cancel()


watcher = RunWatcher()


# ---------------------------------------------------------------------------------------------- requests


def _enqueue(agent_id) -> None:
    from agents.tasks import enqueue_run

    enqueue_run(agent_id=agent_id)


def request_planning(*, agent_id) -> None:
    """Start the first run of a new agent: it writes the blueprint (and goes on if generation is wanted)."""
    Agent.objects.filter(pk=agent_id).update(run_requested_at=timezone.now())
    _enqueue(agent_id)


def _has_work(agent: Agent) -> bool:
    if agent.status != AgentStatus.COMPLETE or agent.blueprint is None:
        return True
    pending = Message.objects.filter(agent=agent, role=MessageRole.USER, pending=True).exists()
    return pending or agent.phases.exclude(status="done").exists()


def request_generation(*, agent_id) -> bool:
    """Ask for generation; enqueue a run unless one is working already. Returns whether one was enqueued.

    A run that is working sees the request when it next decides (after the blueprint, or when it ends).
    """
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent_id)
        wanted = {"generation_requested": True, "stop_requested": False, "crash_count": 0}
        if lease_is_live(agent):
            Agent.objects.filter(pk=agent.pk).update(**wanted)
            return False
        if agent.status in TERMINAL_STATUSES:
            if not _has_work(agent):
                Agent.objects.filter(pk=agent.pk).update(generation_requested=False, stop_requested=False)
                return False
            # A new run: the previous run's error no longer describes the app.
            wanted.update(status=AgentStatus.GENERATING, error="")
        Agent.objects.filter(pk=agent.pk).update(**wanted, run_requested_at=timezone.now())
        _enqueue(agent.pk)
    return True


def request_stop(*, agent_id) -> None:
    """Stop: the run in flight sees the flag within a fraction of a second and says generation_stopped."""
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent_id)
        Agent.objects.filter(pk=agent.pk).update(stop_requested=True, generation_requested=False)
        running = lease_is_live(agent)
        if not running and agent.status in ACTIVE_STATUSES:
            Agent.objects.filter(pk=agent.pk).update(status=AgentStatus.STOPPED)
    if not running:
        emit(agent_id, "generation_stopped", message="Generation stopped")


def wait_until_idle(*, agent_id, timeout: float = DELETE_WAIT_SECONDS) -> bool:
    """Wait (bounded) until no run holds the agent's lease. Returns whether it was let go in time."""
    deadline = time.monotonic() + timeout
    while True:
        agent = Agent.objects.filter(pk=agent_id).only("lease_owner", "lease_expires_at").first()
        if agent is None or not lease_is_live(agent):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------- the sweep's


def recover_dead_run(*, agent_id, expires) -> str:
    """A run that stopped renewing its lease (its process was killed, or it raised): count the crash, and
    say what became of it: "resume", "failed" (after AGENT_MAX_CRASHES in a row, saying so), or "" when
    another sweeper claimed it first.

    Claimed with a conditional UPDATE on the expiry seen, so of several sweepers only one recovers it.
    """
    with transaction.atomic():
        claimed = (
            Agent.objects.filter(pk=agent_id, lease_expires_at=expires)
            .exclude(lease_owner="")
            .update(lease_owner="", lease_expires_at=None, crash_count=F("crash_count") + 1)
        )
        if not claimed:
            return ""
        crashes = Agent.objects.filter(pk=agent_id).values_list("crash_count", flat=True).first() or 0
        if crashes < settings.AGENT_MAX_CRASHES:
            Agent.objects.filter(pk=agent_id).update(run_requested_at=timezone.now())
            return "resume"
        mark_failed(
            agent_id=agent_id,
            message=(
                f"The run of this app stopped without finishing {crashes} times in a row (its worker was killed "
                "or hit an error on our side), so it is not resumed on its own again. Resume to try once more; "
                "if it keeps happening, the server's logs say why."
            ),
            code="RUN_CRASHED",
        )
    return "failed"


def reclaim_unstarted_run(*, agent_id, requested_at) -> bool:
    """A run that was wanted (at `requested_at`) but never took the lease (its task was lost): claim it for
    one more enqueue, once per grace period. Returns whether this caller claimed it."""
    return (
        Agent.objects.filter(pk=agent_id, run_requested_at=requested_at, lease_owner="", stop_requested=False).update(
            run_requested_at=timezone.now()
        )
        == 1
    )


# ---------------------------------------------------------------------------------------------- transitions


def start_planning(*, agent_id) -> None:
    Agent.objects.filter(pk=agent_id).update(status=AgentStatus.PLANNING, error="", problems=[])


def start_generation(*, agent: Agent, total_files: int) -> None:
    """Generating from now on; announced unless a run was already generating (a resume)."""
    announce = agent.status not in ACTIVE_STATUSES or agent.status == AgentStatus.PLANNING
    Agent.objects.filter(pk=agent.pk).update(status=AgentStatus.GENERATING, error="", problems=[])
    if announce:
        emit(agent.pk, "generation_started", message="Starting code generation", totalFiles=total_files)


def mark_complete(*, agent_id, problems: list[dict] | tuple = ()) -> RunOutcome:
    """The app is written. `problems` ([{code, message, file?}]) make it "complete with problems"."""
    problems = [dict(p) for p in problems]
    # With its event: a complete agent is never resumed, so the event could not be sent later.
    with transaction.atomic():
        Agent.objects.filter(pk=agent_id).update(
            status=AgentStatus.COMPLETE, generation_requested=False, error="", problems=problems, crash_count=0
        )
        emit(agent_id, "generation_complete", message="Code generation completed", problems=problems)
    return RunOutcome("complete")


def mark_stopped(*, agent_id) -> RunOutcome:
    Agent.objects.filter(pk=agent_id).update(status=AgentStatus.STOPPED, generation_requested=False)
    emit(agent_id, "generation_stopped", message="Generation stopped")
    return RunOutcome("stopped")


def mark_failed(*, agent_id, message: str, code: str) -> RunOutcome:
    Agent.objects.filter(pk=agent_id).update(status=AgentStatus.FAILED, error=message, generation_requested=False)
    emit(agent_id, "error", message=message, **failure(code=code, message=message).socket_frame())
    _answer_waiting_requests(agent_id=agent_id, reason=message)
    return RunOutcome("failed", message)


def fail_requests(*, agent_id, message_ids: list[int], message: str, code: str) -> RunOutcome | None:
    """Requests whose phase could not be planned fail in the conversation (their error says why; the client
    may send them again with `retry_request`), instead of failing the app or staying pending.

    The app goes on without them: an app that was complete before is complete again (returned), one still
    being built is built on (None: the run goes on).
    """
    with transaction.atomic():
        Message.objects.filter(pk__in=message_ids, agent_id=agent_id).update(pending=False, error=message)
        emit(
            agent_id,
            "request_failed",
            message=message,
            error=message,
            code=code,
            messageIds=list(message_ids),
            retry={"type": "retry_request", "messageId": message_ids[-1]},
        )
    finished_before = (
        not Phase.objects.filter(agent_id=agent_id).exclude(status=PhaseStatus.DONE).exists()
        and Event.objects.filter(agent_id=agent_id, type="generation_complete").exists()
    )
    if finished_before:
        problems = Agent.objects.filter(pk=agent_id).values_list("problems", flat=True).first() or []
        return mark_complete(agent_id=agent_id, problems=problems)
    return None


def _answer_waiting_requests(*, agent_id, reason: str) -> None:
    """Chat requests the failed run was to build are answered, not left hanging; they stay queued for Resume."""
    waiting = list(
        Message.objects.filter(agent_id=agent_id, role=MessageRole.USER, pending=True).values_list("pk", "text")
    )
    if not waiting:
        return
    from agents.summaries import assistant_say  # summaries reads models and events; lifecycle is below it

    Message.objects.filter(pk__in=[pk for pk, _ in waiting]).update(error=reason)
    asked = ", ".join(f"\u201c{' '.join(text.split())[:80]}\u201d" for _, text in waiting)
    assistant_say(
        agent_id=agent_id,
        text=f"I could not work on {asked}: {reason} It is still queued: press Resume once that is fixed.",
    )


def announce_retry(*, agent_id, attempt: int, delay: float, reason: str) -> None:
    """`generation_retrying`, durable: a client that reconnects (and the CLI, reading events) sees it too."""
    emit(
        agent_id,
        "generation_retrying",
        message=f"Trying again in {delay:.1f}s (attempt {attempt} of {settings.GENERATION_MAX_ATTEMPTS})",
        attempt=attempt,
        maxAttempts=settings.GENERATION_MAX_ATTEMPTS,
        retryInSeconds=round(delay, 3),
        reason=reason,
    )


# ---------------------------------------------------------------------------------------------- retries


def retry_delay(*, attempt: int, retry_after: float | None) -> float:
    """Seconds before attempt `attempt + 1`: exponential from the base, with jitter (half to all of it, so
    runs that failed together do not call together), never shorter than the provider's Retry-After."""
    backoff = min(settings.GENERATION_RETRY_MAX_SECONDS, settings.GENERATION_RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    backoff *= random.uniform(0.5, 1.0)
    return max(backoff, retry_after or 0.0)


def _progress(agent_id) -> tuple:
    """What durable state a run has reached: the attempts start again once it moved on."""
    row = Agent.objects.filter(pk=agent_id).values_list("blueprint", "current_phase_index").first()
    files = File.objects.filter(agent_id=agent_id, complete=True, generating=False).count()
    return (row is not None and row[0] is not None, row[1] if row else 0, files)


def _cancelled(*, agent_id, watchdog: Watchdog) -> RunOutcome:
    """How a cancelled run ends: its lease went elsewhere, its process hands it over, or it was stopped."""
    if watchdog.lost:
        return RunOutcome("lease_lost")
    if watchdog.draining and not watchdog.stop_seen:
        return RunOutcome("handed_off")
    return mark_stopped(agent_id=agent_id)


def _work_with_retries(*, agent_id, work: Work, cancel: CancelToken, watchdog: Watchdog) -> RunOutcome:
    """`work` until it ends; a retryable provider failure is tried again from durable state, announced,
    after a backoff, up to GENERATION_MAX_ATTEMPTS times in a row without progress. Anything else in the
    error family fails the run at once with its code and message."""
    attempt, progress = 1, _progress(agent_id)
    while True:
        agent = Agent.objects.select_related("owner").get(pk=agent_id)
        try:
            return work(agent=agent, cancel=cancel)
        except GenerationCancelled:
            return _cancelled(agent_id=agent_id, watchdog=watchdog)
        except AtelierError as exc:
            if cancel.is_set():  # the failure was the stop cutting the call short
                return _cancelled(agent_id=agent_id, watchdog=watchdog)
            now = _progress(agent_id)
            if now != progress:
                attempt, progress = 1, now
            retry_after = getattr(exc, "retry_after", None)
            if not exc.retryable:
                final = exc.message
            elif attempt >= settings.GENERATION_MAX_ATTEMPTS:
                final = f"{exc.message.rstrip('.')}. Gave up after {attempt} attempts; resume to try again."
            elif retry_after is not None and retry_after > settings.GENERATION_RETRY_MAX_SECONDS:
                final = (
                    f"{exc.message.rstrip('.')}. The provider asks to wait {retry_after:.0f}s before the next "
                    "call; resume after that."
                )
            else:
                delay = retry_delay(attempt=attempt, retry_after=retry_after)
                attempt += 1
                logger.info("Agent %s: %s; attempt %d in %.2fs", agent_id, exc.code, attempt, delay)
                announce_retry(agent_id=agent_id, attempt=attempt, delay=delay, reason=exc.message)
                if cancel.wait(delay):
                    return _cancelled(agent_id=agent_id, watchdog=watchdog)
                continue
            request_ids = getattr(exc, "request_ids", None)
            if not request_ids:
                return mark_failed(agent_id=agent_id, message=final, code=exc.code)
            outcome = fail_requests(agent_id=agent_id, message_ids=request_ids, message=final, code=exc.code)
            if outcome is not None:
                return outcome
            attempt, progress = 1, _progress(agent_id)


# ---------------------------------------------------------------------------------------------- the run


def run(*, agent_id, work: Work, owner: str | None = None) -> RunOutcome:
    """Hold the lease and let `work(agent=, cancel=)` advance the agent until it is planned, complete,
    stopped or failed. `work` raises GenerationCancelled when stopped, and errors of the family
    (config.failures) when it fails; retryable ones are tried again here."""
    owner = owner or run_owner()
    if not take_lease(agent_id=agent_id, owner=owner):
        return RunOutcome("busy")
    cancel = CancelToken()
    watchdog = Watchdog(agent_id=agent_id, owner=owner, on_cancel=cancel.set)
    watchdog.start()
    try:
        if Agent.objects.filter(pk=agent_id, stop_requested=True).exists():
            outcome = RunOutcome("stopped")  # stopped before it started: request_stop said so already
        else:
            outcome = _work_with_retries(agent_id=agent_id, work=work, cancel=cancel, watchdog=watchdog)
    except Exception:
        if Agent.objects.filter(pk=agent_id).exists():
            raise
        # Deleted under the run (agent_delete waited, and the run did not let go in time): nothing is left.
        logger.info("Agent %s was deleted while its run worked; the run ends", agent_id)
        outcome = RunOutcome("deleted")
    finally:
        watchdog.stop()
    # A run that raised (Redis or the database briefly away, a bug) does not get here: like a killed process it
    # leaves its lease to expire, and the sweep resumes the agent from durable state.
    if outcome.status != "lease_lost":
        _finish(agent_id=agent_id, owner=owner, outcome=outcome)
    return outcome


def _finish(*, agent_id, owner: str, outcome: RunOutcome) -> None:
    """Release the lease; start the next run only for what was asked for while this one worked."""
    with transaction.atomic():
        row = Agent.objects.select_for_update().filter(pk=agent_id).values("generation_requested", "stop_requested")
        row = row.first()
        release_lease(agent_id=agent_id, owner=owner)
        if row is None:
            return
        if row["stop_requested"]:
            if outcome.status == "handed_off":  # the stop came while the run was handing over: honour it here
                mark_stopped(agent_id=agent_id)
            return
        # Every transition that ends a run clears generation_requested: set now, it came after (a generate_all
        # during planning, a resume after a failure). A chat request that arrived while the run was finishing
        # saw a live lease and did not start one.
        # A run handed over by a worker that is shutting down goes on in another, from durable state, at once.
        arrived = (
            outcome.status == "handed_off"
            or row["generation_requested"]
            or (
                outcome.status == "complete"
                and Message.objects.filter(agent_id=agent_id, role=MessageRole.USER, pending=True).exists()
            )
        )
        if arrived:
            Agent.objects.filter(pk=agent_id).update(generation_requested=True, run_requested_at=timezone.now())
            _enqueue(agent_id)


def request_generation_here(*, agent_id) -> None:
    """Want generation, for a run the caller performs itself in this process (the CLI): nothing is enqueued."""
    Agent.objects.filter(pk=agent_id).update(generation_requested=True, stop_requested=False, error="")
