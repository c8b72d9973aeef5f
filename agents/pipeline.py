"""The phase state machine: blueprint → implement phase → plan next phase → … → review → complete.

A run works on one agent while it holds the agent's lease. Everything it learns is saved as it goes, so a
run that is stopped or dies can be resumed by another from durable state: finished phases stay done, and
in the phase in flight only the files not yet written in full are asked for again.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agents import catalog, checks, context, lifecycle, packages, prompts, selfchecks, summaries, versions
from agents.applying import AnswerApplier
from agents.deployments import agent_deploy_preview
from agents.events import emit
from agents.lifecycle import RunOutcome
from agents.limits import OutputBudget, OutputLimitExceeded
from agents.modelcalls import model_settings_for, stream_answer
from agents.models import (
    Agent,
    File,
    Image,
    Message,
    MessageRole,
    Phase,
    PhaseStatus,
    UsageRecord,
)
from agents.parsing import HeredocParser, UnsafePath, validate_path
from agents.payloads import phase_payload
from agents.problems import Problem, warn
from config.failures import AtelierError
from modelconfig.providers.base import CancelToken, ChatClient, GenerationCancelled, ImageInput
from previews.models import DeploymentStatus
from previews.toolchain import toolchain

logger = logging.getLogger(__name__)

# Written by Atelier, never by the model: kept out of prompts (a lockfile is long and says nothing useful).
HIDDEN_FROM_MODEL = frozenset({packages.LOCKFILE})
CHUNK_EVENT_INTERVAL = 0.05  # at most one file_chunk_generated per file per 50 ms (the draft is saved with each)


class GenerationFailed(AtelierError):
    """The model's answer cannot be used (invalid plan, missing file, past a cap): trying again will not help."""

    type, status = "PROVIDER_ERROR", 502

    def __init__(self, message: str, code: str):
        super().__init__(message, code=code)


# ---------------------------------------------------------------------------------------------- helpers


def _files_context(agent: Agent) -> dict[str, str]:
    return dict(File.objects.filter(agent=agent, complete=True).order_by("path").values_list("path", "content"))


def images_for(image_ids) -> tuple[ImageInput, ...]:
    images = []
    for image in Image.objects.filter(pk__in=list(image_ids or [])):
        with image.file.open("rb") as handle:
            images.append(ImageInput(mime_type=image.mime_type, data=handle.read()))
    return tuple(images)


def record_usage(*, agent: Agent, client: ChatClient, action: str) -> None:
    usage = client.usage
    UsageRecord.objects.create(
        agent=agent,
        user_id=agent.owner_id,
        action=action,
        provider=client.provider,
        model=client.model,
        tokens_in=usage.input_tokens,
        tokens_out=usage.output_tokens,
    )
    fields = {"tokens_in": F("tokens_in") + usage.input_tokens, "tokens_out": F("tokens_out") + usage.output_tokens}
    if action in ("blueprint", "phase_implementation"):
        # Which model wrote the app, as the admin and the apps list show it.
        fields.update(model_provider=client.provider, model_name=client.model[:200])
    Agent.objects.filter(pk=agent.pk).update(**fields)


def _json_call(
    *, agent: Agent, action: str, messages, validate, cancel: CancelToken, on_chunk: Callable[[str], None] | None = None
):
    """Ask for JSON, validate it; on invalid JSON ask once more with the error fed back, then fail clearly."""
    for attempt in range(2):
        parts = []
        for delta in stream_answer(
            agent=agent, action=action, messages=messages, cancel=cancel, record_usage=record_usage
        ):
            parts.append(delta)
            if on_chunk is not None:
                on_chunk(delta)
        text = "".join(parts)
        try:
            return prompts.parse_json_answer(text, validate)
        except prompts.InvalidModelOutput as exc:
            if attempt == 1:
                raise GenerationFailed(f"The model's {action.replace('_', ' ')} was not valid: {exc}", "INVALID_OUTPUT")
            messages = prompts.retry_messages(messages, bad_output=text, error=str(exc))
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------------- blueprint


def generate_blueprint(*, agent: Agent, cancel: CancelToken, on_chunk: Callable[[str], None] | None = None) -> dict:
    """Ask for the blueprint, save it with the chosen template and the first planned phase."""
    images = images_for(Image.objects.filter(agent=agent).values_list("pk", flat=True))
    summaries.warn_if_images_unseen(agent=agent, action="blueprint", count=len(images))
    offered = catalog.offered()
    if agent.template_name in offered:  # the user chose the template: the model plans for that one only
        offered = {agent.template_name: offered[agent.template_name]}
    messages = prompts.blueprint_messages(
        query=agent.query, templates=[s.summary() for s in offered.values()], images=images
    )
    blueprint = _json_call(
        agent=agent,
        action="blueprint",
        messages=messages,
        validate=prompts.validate_blueprint,
        cancel=cancel,
        on_chunk=on_chunk,
    )
    requested = agent.template_name if agent.template_name in offered else blueprint.get("template")
    starter = catalog.choose(requested=requested, query=agent.query)
    blueprint["template"] = starter.name
    initial = blueprint["initialPhase"]
    with transaction.atomic():
        Agent.objects.filter(pk=agent.pk).update(
            blueprint=blueprint,
            title=blueprint["title"][:200],
            template_name=starter.name,
            phase_budget=settings.AGENT_MAX_PHASES,
        )
        phase, _ = Phase.objects.update_or_create(
            agent=agent,
            index=0,
            defaults={
                "name": initial["name"],
                "description": initial.get("description", ""),
                "files": initial["files"],
                "last_phase": bool(initial.get("lastPhase", False)),
                "status": PhaseStatus.PLANNED,
            },
        )
        if starter.seed:
            _seed_starter_files(agent=agent, starter=starter)
    agent.refresh_from_db()
    emit(agent.pk, "phase_generated", message=f"Planned phase: {phase.name}", phase=phase_payload(phase))
    return blueprint


def _seed_starter_files(*, agent: Agent, starter: catalog.Starter) -> None:
    """A template's project files (package.json, its lockfile, the Vite config, ...) before any phase runs."""
    for path, content in starter.files.items():
        purpose = f"From the {starter.name} template"
        _, created = File.objects.get_or_create(
            agent=agent,
            path=path,
            defaults={"content": content, "sha256": File.digest(content), "purpose": purpose, "complete": True},
        )
        if created:
            emit(
                agent.pk,
                "file_generated",
                message=f"Added {path} from the {starter.name} template",
                file={"filePath": path, "fileContents": content, "filePurpose": purpose},
            )


# ---------------------------------------------------------------------------------------------- files


class _FileWriter:
    """Parser callbacks for one phase: saves files, coalesces chunk events, flushes drafts."""

    def __init__(self, *, agent: Agent, phase: Phase):
        self.agent, self.phase = agent, phase
        self.purposes = {f["path"]: f.get("purpose", "") for f in phase.files}
        self.written: list[str] = []
        self._current: File | None = None
        self._pending: list[str] = []
        self._draft: list[str] = []
        self._last_chunk_event = 0.0
        self.budget = OutputBudget(agent=agent, phase=phase)

    def on_open(self, path: str) -> None:
        self.budget.open(path)
        purpose = self.purposes.get(path, "")
        # One transaction with its event: the row and what clients are told agree, and SQLite commits once.
        with transaction.atomic():
            file, _ = File.objects.get_or_create(
                agent=self.agent, path=path, defaults={"purpose": purpose, "complete": False, "phase": self.phase}
            )
            File.objects.filter(pk=file.pk).update(generating=True, draft="", purpose=purpose or file.purpose)
            emit(self.agent.pk, "file_generating", message=f"Generating {path}", filePath=path, filePurpose=purpose)
        self._current = file
        self._draft, self._pending = [], []
        self._last_chunk_event = time.monotonic()

    def on_chunk(self, path: str, text: str) -> None:
        self.budget.add(text)
        self._draft.append(text)
        self._pending.append(text)
        if time.monotonic() - self._last_chunk_event >= CHUNK_EVENT_INTERVAL:
            self._send_chunk(path)

    def _send_chunk(self, path: str) -> None:
        if self._pending:
            chunk, draft = "".join(self._pending), "".join(self._draft)
            # The saved draft holds every chunk sent so far, and each chunk says where it starts (`offset`, in
            # code points): a snapshot's draft plus the chunks placed after it is exactly the file, whichever
            # chunks reach a socket both in the snapshot and live.
            File.objects.filter(pk=self._current.pk).update(draft=draft)
            emit(self.agent.pk, "file_chunk_generated", filePath=path, chunk=chunk, offset=len(draft) - len(chunk))
            self._pending = []
        self._last_chunk_event = time.monotonic()

    def on_close(self, path: str, content: str) -> None:
        self._send_chunk(path)
        purpose = self.purposes.get(path) or self._current.purpose
        # The file and its event commit together: a resumed run skips a complete file, so an event lost to a
        # crash in between would never be sent (nor replayed).
        with transaction.atomic():
            File.objects.filter(pk=self._current.pk).update(
                content=content,
                sha256=File.digest(content),
                complete=True,
                generating=False,
                draft="",
                phase=self.phase,
                purpose=purpose,
                updated_at=timezone.now(),
            )
            emit(
                self.agent.pk,
                "file_generated",
                message=f"Generated {path}",
                file={"filePath": path, "fileContents": content, "filePurpose": purpose},
            )
        self.written.append(path)
        self._current = None

    def on_error(self, message: str, path: str | None) -> None:
        code = "UNSAFE_PATH" if path is not None and "unterminated" not in message else "PARSE_ERROR"
        emit(self.agent.pk, "error", message=message, error=message, code=code)

    def abandon(self) -> None:
        """The stream ended mid-file (stop, crash of the call): keep the draft, regenerate later."""
        if self._current is not None:
            # Nobody writes it any more; `complete` (still False for this phase) makes the resume regenerate it.
            File.objects.filter(pk=self._current.pk).update(draft="".join(self._draft), generating=False)


def _stream_files(
    *,
    agent: Agent,
    phase: Phase,
    action: str,
    messages,
    cancel: CancelToken,
    ask_again: bool = True,
    only: list[str] | None = None,
) -> list[str]:
    """Stream one answer into the files; a file that could not be taken as written is asked for again whole.
    `only`: the files the answer may change (a fix round's), none other."""
    writer = _FileWriter(agent=agent, phase=phase)
    applier = AnswerApplier(
        saver=writer,
        files=_files_context(agent),
        planned=_planned_paths(agent),
        warn=partial(warn, agent.pk),
        outlined=getattr(messages, "outlined", ()),
        only=only,
    )
    # A review's prose quotes code in Markdown blocks; only heredocs and edit blocks change files there.
    parser = HeredocParser(**applier.callbacks(), markdown_files=action != "code_review")
    try:
        for delta in stream_answer(
            agent=agent, action=action, messages=messages, cancel=cancel, record_usage=record_usage
        ):
            parser.feed(delta)
        parser.finish()
    except OutputLimitExceeded as exc:  # past a cap: stop writing, keep what was saved, say which cap
        raise GenerationFailed(exc.message, exc.code) from exc
    finally:
        writer.abandon()  # a file the stream left open (stopped, failed, or never closed) is not in flight
    applier.finish()
    if ask_again:
        purposes = {f["path"]: f.get("purpose", "") for f in phase.files}
        for path, problem in applier.needs_whole.items():
            retry = _fitted(
                agent,
                "file_regeneration",
                keep=[path],
                render=lambda files, path=path, problem=problem: prompts.file_regeneration_messages(
                    blueprint=agent.blueprint,
                    phase=phase_payload(phase),
                    files=files,
                    path=path,
                    purpose=purposes.get(path, ""),
                    problem=problem,
                ),
            )
            _stream_files(
                agent=agent,
                phase=phase,
                action="file_regeneration",
                messages=retry,
                cancel=cancel,
                ask_again=False,
                only=only,
            )
    return writer.written


def _fitted(agent: Agent, action: str, *, render, keep) -> list:
    """`render(files)` with the agent's files, those outside `keep` outlined as needed to fit the model's
    context window (agents.context)."""
    purposes = {f["path"]: f.get("purpose", "") for p in Phase.objects.filter(agent=agent) for f in p.files}
    budget = context.prompt_budget(model_settings_for(agent, action))
    rules = _template_rules(agent)
    files = {path: content for path, content in _files_context(agent).items() if path not in HIDDEN_FROM_MODEL}
    messages, outlined = context.fit(
        lambda shown: prompts.with_app_rules(render(shown), rules),
        files=files,
        keep=[path for path in keep if path not in HIDDEN_FROM_MODEL],
        budget=budget,
        purposes=purposes,
    )
    if outlined:
        logger.info("Agent %s %s: %d file(s) outlined to fit the context window", agent.pk, action, len(outlined))
    return context.FittedPrompt(messages, outlined)


def _template_rules(agent: Agent) -> str:
    """The template's rules for the system prompts ('' for static-web, whose rules are the prompts' own)."""
    rules = catalog.get(agent.template_name).rules
    return rules.replace("{allowed_packages}", ", ".join(sorted(packages.allowed_packages(agent.template_name))))


def _planned_paths(agent: Agent) -> set[str]:
    return {f["path"] for files in Phase.objects.filter(agent=agent).values_list("files", flat=True) for f in files}


def _remaining_files(phase: Phase) -> list[str]:
    done = set(
        File.objects.filter(agent_id=phase.agent_id, phase=phase, complete=True, generating=False).values_list(
            "path", flat=True
        )
    )
    return [f["path"] for f in phase.files if f["path"] not in done]


def implement_phase(*, agent: Agent, phase: Phase, cancel: CancelToken) -> None:
    Phase.objects.filter(pk=phase.pk).update(status=PhaseStatus.IMPLEMENTING)
    phase.status = PhaseStatus.IMPLEMENTING
    emit(agent.pk, "phase_implementing", message=f"Implementing phase: {phase.name}", phase=phase_payload(phase))

    remaining = _remaining_files(phase)
    if remaining:
        request_messages = Message.objects.filter(agent=agent, role=MessageRole.USER, text__in=phase.requests)
        image_ids = [i for m in request_messages for i in (m.image_ids or [])]
        images = images_for(image_ids)
        messages = _fitted(
            agent,
            "phase_implementation",
            keep=remaining,
            render=lambda files: prompts.phase_implementation_messages(
                blueprint=agent.blueprint,
                phase=phase_payload(phase),
                files=files,
                files_to_write=remaining,
                requests=list(phase.requests),
                images=images,
            ),
        )
        _stream_files(agent=agent, phase=phase, action="phase_implementation", messages=messages, cancel=cancel)

    # A model that skipped a planned file gets one more, narrower request per missing file.
    purposes = {f["path"]: f.get("purpose", "") for f in phase.files}
    for path in _remaining_files(phase):
        messages = _fitted(
            agent,
            "file_regeneration",
            keep=[path],
            render=lambda files, path=path: prompts.file_regeneration_messages(
                blueprint=agent.blueprint,
                phase=phase_payload(phase),
                files=files,
                path=path,
                purpose=purposes.get(path, ""),
            ),
        )
        _stream_files(agent=agent, phase=phase, action="file_regeneration", messages=messages, cancel=cancel)
        if path in _remaining_files(phase):
            raise GenerationFailed(f"The model did not write {path}.", "MISSING_FILE")

    # The phase's files are final: its check runs between these two (VibeSDK's clients wait for the second).
    emit(agent.pk, "phase_validating", message=f"Validating files for phase: {phase.name}", phase=phase_payload(phase))
    _check_phase(agent=agent, phase=phase, cancel=cancel)
    emit(agent.pk, "phase_validated", message=f"Files validated for phase: {phase.name}", phase=phase_payload(phase))
    selfchecks.check_phase(agent=agent, phase=phase, cancel=cancel)  # the browser's look, and its fix rounds

    phase.status = PhaseStatus.DONE
    with transaction.atomic():  # with its event, as in _FileWriter.on_close: a resumed run skips a done phase
        Phase.objects.filter(pk=phase.pk).update(status=PhaseStatus.DONE)
        Agent.objects.filter(pk=agent.pk).update(current_phase_index=phase.index + 1)
        versions.commit_phase(agent=agent, phase=phase)  # the history agrees with the files after any crash
        emit(agent.pk, "phase_implemented", message=f"Phase implemented: {phase.name}", phase=phase_payload(phase))


def _check_phase(*, agent: Agent, phase: Phase, cancel: CancelToken) -> list[Problem]:
    """Check the phase's files; each failing file is asked for once more with its error. What still fails
    is a warning naming the file and the error (and, as it stays, a problem of the complete app)."""
    return _check_files(agent=agent, phase=phase, paths=[f["path"] for f in phase.files], cancel=cancel)


def _problems(agent: Agent, phase: Phase | None, paths) -> list[Problem]:
    """The checks of `paths`, and for a framework app its packages (the lockfile is brought in step here)."""
    files = _files_context(agent)
    problems = checks.check_phase_files(files, paths)
    if catalog.get(agent.template_name).backend == "build":
        problems += packages.dependency_problems(agent=agent, phase=phase, files=files)
    return problems


def _check_files(*, agent: Agent, phase: Phase, paths: list[str], cancel: CancelToken) -> list[Problem]:
    problems = _problems(agent, phase, paths)
    failing: dict[str, list[str]] = {}
    for problem in problems:
        if problem.file is not None:
            failing.setdefault(problem.file, []).append(problem.message)
    purposes = {f["path"]: f.get("purpose", "") for f in phase.files}
    for path, errors in failing.items():
        error = "; ".join(errors)
        warn(agent.pk, code="CHECK_FAILED", file_path=path, message=f"{error}. Asking the model to fix {path}.")
        messages = _fitted(
            agent,
            "file_regeneration",
            keep=[path],
            render=lambda files, path=path, error=error: prompts.file_regeneration_messages(
                blueprint=agent.blueprint,
                phase=phase_payload(phase),
                files=files,
                path=path,
                purpose=purposes.get(path, ""),
                problem=error,
            ),
        )
        _stream_files(
            agent=agent, phase=phase, action="file_regeneration", messages=messages, cancel=cancel, ask_again=False
        )
    if failing:
        problems = _problems(agent, phase, paths)
    for problem in problems:
        warn(
            agent.pk, code=problem.code, file_path=problem.file, message=f"Still wrong after a retry: {problem.message}"
        )
    return problems


def _app_problems(agent: Agent) -> list[dict]:
    """What the finished app still has wrong, for "complete with problems"."""
    return [problem.as_dict() for problem in _problems(agent, None, _files_context(agent))]


def plan_next_phase(*, agent: Agent, cancel: CancelToken) -> Phase | None:
    """Plan the next phase, or None when the app is finished and no request is waiting."""
    pending = list(Message.objects.filter(agent=agent, role=MessageRole.USER, pending=True))
    phases = list(Phase.objects.filter(agent=agent).order_by("index"))
    last = phases[-1] if phases else None
    if not pending and last is not None and last.last_phase:
        return None
    phases_left = agent.phase_budget - len(phases)
    if phases_left <= 0 and not pending:
        return None

    emit(agent.pk, "phase_generating", message="Planning the next phase")
    messages = _fitted(
        agent,
        "phase_generation",
        keep=(),
        render=lambda files: prompts.phase_plan_messages(
            blueprint=agent.blueprint,
            completed_phases=[
                {"name": p.name, "description": p.description, "files": [f["path"] for f in p.files]} for p in phases
            ],
            files=files,
            pending_requests=[m.text for m in pending],
            phases_left=max(phases_left, 1),
        ),
    )
    try:
        plan = _json_call(
            agent=agent,
            action="phase_generation",
            messages=messages,
            validate=prompts.validate_phase_plan,
            cancel=cancel,
        )
        if (plan is None or not plan.get("files")) and pending:
            raise GenerationFailed("The model planned no phase for your request.", "EMPTY_PLAN")
        for item in (plan or {}).get("files") or ():
            try:
                item["path"] = validate_path(item["path"])
            except UnsafePath as exc:
                raise GenerationFailed(f"The model's phase plan names an unusable file path: {exc}", "INVALID_OUTPUT")
    except AtelierError as exc:
        # Whose plan failed: once the run gives up, these requests fail, not the app (lifecycle.fail_requests).
        exc.request_ids = [m.pk for m in pending]
        raise
    if plan is None or not plan.get("files"):
        return None
    with transaction.atomic():
        phase = Phase.objects.create(
            agent=agent,
            index=len(phases),
            name=plan["name"][:200],
            description=plan.get("description", ""),
            files=plan["files"],
            requests=[m.text for m in pending],
            last_phase=bool(plan.get("lastPhase", False)),
        )
        Message.objects.filter(pk__in=[m.pk for m in pending]).update(pending=False)
        emit(agent.pk, "phase_generated", message=f"Planned phase: {phase.name}", phase=phase_payload(phase))
    return phase


def review(*, agent: Agent, cancel: CancelToken) -> None:
    """A last look over the whole app; fixes come back as heredocs and land in the last phase."""
    last = Phase.objects.filter(agent=agent).order_by("-index").first()
    messages = _fitted(
        agent,
        "code_review",
        keep=_files_context(agent),
        render=lambda files: prompts.code_review_messages(blueprint=agent.blueprint, files=files),
    )
    written = _stream_files(agent=agent, phase=last, action="code_review", messages=messages, cancel=cancel)
    if written:  # a fix must not break what the phases checked
        _check_files(agent=agent, phase=last, paths=written, cancel=cancel)


# ---------------------------------------------------------------------------------------------- the run


def run(*, agent_id, owner: str | None = None) -> RunOutcome:
    """Work on the agent until it is planned, complete, stopped or failed, or the lease is elsewhere."""
    return lifecycle.run(agent_id=agent_id, owner=owner, work=advance)


class _BlueprintChunks:
    """Broadcasts the blueprint text as it streams in, at most one `blueprint_chunk` per 50 ms."""

    def __init__(self, agent_id):
        self.agent_id = agent_id
        self._pending: list[str] = []
        self._last = time.monotonic()

    def __call__(self, text: str) -> None:
        self._pending.append(text)
        if time.monotonic() - self._last >= CHUNK_EVENT_INTERVAL:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            emit(self.agent_id, "blueprint_chunk", chunk="".join(self._pending))
            self._pending = []
        self._last = time.monotonic()


def advance(*, agent: Agent, cancel: CancelToken) -> RunOutcome:
    """One run's work: the blueprint if there is none yet, then the phases when generation is wanted."""
    if agent.blueprint is None:
        lifecycle.start_planning(agent_id=agent.pk)
        chunks = _BlueprintChunks(agent.pk)
        blueprint = generate_blueprint(agent=agent, cancel=cancel, on_chunk=chunks)
        chunks.flush()
        emit(agent.pk, "blueprint_generated", message="Blueprint ready", blueprint=blueprint)
        summaries.before_build(agent_id=agent.pk, blueprint=blueprint)
        agent.refresh_from_db()
    if not agent.generation_requested:
        return RunOutcome("planned")
    return _generate(agent=agent, cancel=cancel)


def _generate(*, agent: Agent, cancel: CancelToken) -> RunOutcome:
    planned = sum(len(p.files) for p in Phase.objects.filter(agent=agent))
    lifecycle.start_generation(agent=agent, total_files=planned)
    agent.refresh_from_db()
    first_build = not Phase.objects.filter(agent=agent, status=PhaseStatus.DONE).exists()
    built: list[Phase] = []  # what this run implemented, for the summary posted after it
    while True:
        if cancel.is_set():
            raise GenerationCancelled()
        phase = Phase.objects.filter(agent=agent).exclude(status=PhaseStatus.DONE).order_by("index").first()
        if phase is None:
            phase = plan_next_phase(agent=agent, cancel=cancel)
            agent.refresh_from_db()
            if phase is None:
                break
        implement_phase(agent=agent, phase=phase, cancel=cancel)
        built.append(phase)
        agent.refresh_from_db()

    review(agent=agent, cancel=cancel)
    # A framework app's build is its last check, and deploys it: only where previews deploy on their own.
    build_problems = (
        _build_and_fix(agent=agent, cancel=cancel) if settings.AUTO_DEPLOY_PREVIEW and _builds(agent) else None
    )
    last = Phase.objects.filter(agent=agent).order_by("-index").first()
    in_browser = [] if build_problems else selfchecks.final_check(agent=agent, phase=last, cancel=cancel)
    with transaction.atomic():  # the review's commit and the completion: a complete agent is never resumed
        versions.commit_review(agent=agent)
        problems = _app_problems(agent) + (build_problems or [])
        problems += [p.as_dict() for p in in_browser if p.as_dict() not in problems]
        outcome = lifecycle.mark_complete(agent_id=agent.pk, problems=problems)
    agent.refresh_from_db()
    summaries.after_build(agent=agent, phases=built, first=first_build, problems=len(problems))
    if settings.AUTO_DEPLOY_PREVIEW and build_problems is None:  # a built app was deployed by its build check
        _deploy_preview(agent)
    return outcome


def _builds(agent: Agent) -> bool:
    return catalog.get(agent.template_name).backend == "build" and toolchain().available


def _build_and_fix(*, agent: Agent, cancel: CancelToken) -> list[dict]:
    """Build the app (it is deployed as it builds); a failing build is fed back to the model, at most
    BUILD_FIX_ROUNDS times, each round one request per file the error names. Returns what still fails."""
    last = Phase.objects.filter(agent=agent).order_by("-index").first()
    rounds = settings.BUILD_FIX_ROUNDS
    tried = None
    for attempt in range(rounds + 1):
        if cancel.is_set():
            raise GenerationCancelled()
        deployment = agent_deploy_preview(agent=agent, in_worker=True)
        if deployment.status != DeploymentStatus.FAILED:
            return []
        if attempt == rounds or deployment.files_digest == tried:
            break  # out of rounds, or the last fix changed nothing (the same files would fail the same way)
        tried = deployment.files_digest
        error = deployment.error
        for path in build_error_files(error, _files_context(agent)):
            warn(
                agent.pk,
                code="BUILD_FAILED",
                file_path=path,
                message=f"The build failed (fix {attempt + 1} of {rounds}). Asking the model to fix {path}.",
            )
            messages = _fitted(
                agent,
                "file_regeneration",
                keep=[path],
                render=lambda files, path=path, error=error: prompts.file_regeneration_messages(
                    blueprint=agent.blueprint,
                    phase=phase_payload(last),
                    files=files,
                    path=path,
                    purpose="",
                    problem=f"The app's build (vite build) failed:\n{error}",
                ),
            )
            _stream_files(
                agent=agent, phase=last, action="file_regeneration", messages=messages, cancel=cancel, ask_again=False
            )
        _check_files(agent=agent, phase=last, paths=[], cancel=cancel)  # a changed package.json re-locks
    message = deployment.error.splitlines()[0] if deployment.error else "The build failed."
    warn(agent.pk, code="BUILD_FAILED", file_path=None, message=f"Still failing after {rounds} fixes: {message}")
    return [Problem(code="BUILD_FAILED", message=deployment.error[:2000]).as_dict()]


_ERROR_PATH = re.compile(
    r"(?<![\w.-])/?(?:app/)?((?:src/)[\w./@-]+\.(?:tsx|ts|jsx|js|css|json)|index\.html|package\.json)"
)


def build_error_files(error: str, files: Mapping[str, str]) -> list[str]:
    """The app's files a build error names, in order of mention (src/App.tsx when it names none)."""
    named: list[str] = []
    for match in _ERROR_PATH.finditer(error):
        path = match.group(1)
        if path in files and path not in named and path not in HIDDEN_FROM_MODEL:
            named.append(path)
    if not named and "src/App.tsx" in files:
        named.append("src/App.tsx")
    return named[:3]


def _deploy_preview(agent: Agent) -> None:
    try:
        agent_deploy_preview(agent=agent, in_worker=True)
    except Exception:  # noqa: BLE001 - the deploy reports its own failure as an event; the app is still complete
        logger.exception("Automatic preview deployment failed for agent %s", agent.pk)
