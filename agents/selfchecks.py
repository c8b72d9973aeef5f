"""The self-check: after each phase, and before `generation_complete`, the app is opened in a real browser.

Run by the worker that runs the agent (never in request handling). Each check deploys the current files
(agents.deployments, so the user's preview is what was checked), opens the deployment's preview URL in
headless Chromium (agents.browsercheck), and records a `SelfCheck` row with its problems and screenshot,
between the durable events `self_check_started` and `self_check_completed`. What it finds goes into the
fix loop (agents.fixes): at most `SELF_CHECK_MAX_FIX_ROUNDS` rounds per phase.

How the browser reaches the preview: it does not go over the network. The worker serves the preview
origin to its own browser from the deployment it has just published, through the same previews
middleware that serves users (same files, same headers and CSP), at the URL users get
(`previews.origins.preview_url`). So it needs no DNS for `*.PREVIEW_DOMAIN`, no port, no TLS and no web
process to be up, wherever the worker runs, and every other origin is blocked by construction.

A framework app (the `build` backend) is checked once, after its build, before `generation_complete`.
Without Chromium (or Playwright) the check says it was skipped, with a note, and the static checks
(agents.checks) stand; `SELF_CHECK = False` turns it off.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connections
from django.http import HttpRequest, HttpResponseNotFound

from agents import browsercheck, fixes, pipeline
from agents.deployments import agent_deploy_preview, backend_for
from agents.events import emit
from agents.models import Agent, Phase, SelfCheck, SelfCheckStatus
from agents.payloads import self_check_payload
from agents.problems import Problem
from modelconfig.providers.base import CancelToken
from previews.middleware import PreviewOriginMiddleware
from previews.models import DeploymentStatus
from previews.origins import preview_url

logger = logging.getLogger(__name__)

SOURCE = "browser"


def files_digest(files: dict[str, str]) -> str:
    """One digest of the app's files (paths and contents), to tell whether a check saw these files."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path].encode()).digest())
    return digest.hexdigest()


def check_phase(*, agent: Agent, phase: Phase, cancel: CancelToken, final: bool = False) -> list[Problem]:
    """The browser check of the app after `phase`, with its fix rounds: the problems that remain."""
    if not settings.SELF_CHECK:
        return []
    if backend_for(agent) == "build" and not (final and pipeline._builds(agent)):
        return []  # a framework app runs only once built: the final check follows its build (pipeline._build_and_fix)
    skipped = browsercheck.unavailable(settings.SELF_CHECK_CHROMIUM)
    if skipped:
        _record_skipped(agent=agent, phase=phase, final=final, note=skipped)
        return []
    return fixes.fix_loop(
        agent=agent,
        phase=phase,
        cancel=cancel,
        source=SOURCE,
        check=lambda round: _check_once(agent=agent, phase=phase, round=round, final=final),
    )


def final_check(*, agent: Agent, phase: Phase | None, cancel: CancelToken) -> list[Problem]:
    """Before `generation_complete`: the last check's problems when it saw these very files, else a new check."""
    if not settings.SELF_CHECK or phase is None:
        return []
    latest = SelfCheck.objects.filter(agent=agent).exclude(status=SelfCheckStatus.RUNNING).order_by("-created_at")
    latest = latest.first()
    if latest is not None and latest.files_digest == files_digest(pipeline._files_context(agent)):
        return [Problem(**problem) for problem in latest.problems]
    return check_phase(agent=agent, phase=phase, cancel=cancel, final=True)


def _started(agent: Agent, phase: Phase, check: SelfCheck) -> None:
    what = "Fixed app" if check.round else "App"
    emit(
        agent.pk,
        "self_check_started",
        message=f"{what} opening in a browser to check it",
        checkId=str(check.pk),
        phaseIndex=phase.index,
        round=check.round,
        final=check.final,
    )


def _completed(agent: Agent, phase: Phase, check: SelfCheck) -> None:
    if check.status == SelfCheckStatus.SKIPPED:
        message = f"Browser check skipped: {check.note}"
    elif check.problems:
        count = len(check.problems)
        message = f"Browser check found {count} problem{'s' if count != 1 else ''}"
    else:
        message = "Browser check passed: no errors"
    emit(agent.pk, "self_check_completed", message=message, **self_check_payload(check))


def _record_skipped(*, agent: Agent, phase: Phase, final: bool, note: str) -> None:
    files = pipeline._files_context(agent)
    check = SelfCheck.objects.create(
        agent=agent, phase=phase, final=final, files_digest=files_digest(files), status=SelfCheckStatus.SKIPPED
    )
    _started(agent, phase, check)
    check.note = f"{note} The static checks stand."
    check.save(update_fields=["note"])
    _completed(agent, phase, check)


def _check_once(*, agent: Agent, phase: Phase, round: int, final: bool) -> list[Problem]:
    files = pipeline._files_context(agent)
    digest = files_digest(files)
    check = SelfCheck.objects.create(agent=agent, phase=phase, round=round, final=final, files_digest=digest)
    _started(agent, phase, check)
    problems: list[Problem] = []
    deployment = agent_deploy_preview(agent=agent, in_worker=True)  # this is the run's worker: a build runs here
    if deployment.status == DeploymentStatus.FAILED:
        problems = [Problem(code="DEPLOY_FAILED", message=f"The preview could not be published: {deployment.error}")]
    else:
        url = preview_url(deployment_id=deployment.id)
        parts = urlsplit(url)
        try:
            with _PreviewServer(host=parts.netloc, secure=parts.scheme == "https") as serve:
                report = browsercheck.check_page(
                    url=url, serve=serve, chromium=settings.SELF_CHECK_CHROMIUM, timeout=settings.SELF_CHECK_TIMEOUT
                )
        except Exception as exc:  # noqa: BLE001 - a browser that cannot start must not fail the app's run
            logger.exception("Self-check of agent %s could not run", agent.pk)
            check.status, check.note = SelfCheckStatus.SKIPPED, f"The browser could not run the check ({exc})."
        else:
            problems = report.problems
            check.seconds = report.seconds
            if report.skipped:
                check.status, check.note = SelfCheckStatus.SKIPPED, report.skipped
            if report.screenshot:
                check.screenshot.save("screenshot.png", ContentFile(report.screenshot), save=False)
            logger.info(
                "Self-check of agent %s: %d problem(s) in %.2f s, %d button(s) clicked",
                agent.pk,
                len(problems),
                report.seconds,
                report.buttons_clicked,
            )
    if check.status == SelfCheckStatus.SKIPPED:
        check.note += " The static checks stand."
    else:
        check.status = SelfCheckStatus.PROBLEMS if problems else SelfCheckStatus.PASSED
    check.problems = [problem.as_dict() for problem in problems]
    check.save()
    _completed(agent, phase, check)
    return problems


class _PreviewServer:
    """Serves the preview origin to the check's browser, on a thread of its own: Playwright calls back from
    inside its event loop, where Django refuses database access (the middleware looks the deployment up)."""

    def __init__(self, *, host: str, secure: bool):
        self.host, self.secure = host, secure

    def __enter__(self) -> Callable[[str], tuple[int, dict[str, str], bytes]]:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="self-check-preview")
        return lambda path: self._pool.submit(_serve, path, host=self.host, secure=self.secure).result()

    def __exit__(self, *exc: object) -> None:
        self._pool.submit(connections.close_all).result()  # that thread's connections only
        self._pool.shutdown()


def _serve(path: str, *, host: str, secure: bool) -> tuple[int, dict[str, str], bytes]:
    """The preview origin's answer to a GET of `path`, exactly as previews.middleware gives it to users."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = unquote(path.split("?", 1)[0])
    request.META = {
        "HTTP_HOST": host,
        "QUERY_STRING": path.partition("?")[2],
        "SERVER_NAME": host.rsplit(":", 1)[0],
        "SERVER_PORT": "443" if secure else "80",
        "wsgi.url_scheme": "https" if secure else "http",
    }
    response = PreviewOriginMiddleware(lambda request: HttpResponseNotFound())(request)
    return response.status_code, dict(response.items()), response.content
