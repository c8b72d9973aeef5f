"""The fix loop: what a check finds goes into a fix round that edits only the files involved; bounded rounds.

Any check can drive it: the browser self-check (agents.selfchecks) and a build (a bundler's errors) alike.
A check is a callable `check(round) -> list[Problem]`, where `round` is how many fix rounds came before it
(0: the phase as written). `fix_loop` checks; while problems remain and fewer than
`settings.SELF_CHECK_MAX_FIX_ROUNDS` rounds ran, it runs `fix_round` with them and checks again. It returns
the last check's problems: empty means clean, anything else is for "complete with problems".

A fix round is one model call (action `phase_implementation`, prompt `prompts.fix_messages` with the
findings in `<findings>` and their check in `<source>`); its answer may change only the files the findings
name (plus the app's pages when a file is missing, so the reference or the file can be fixed). It writes
into the phase being checked, so the phase's version commit holds the fix.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping

from django.conf import settings

from agents import pipeline, prompts
from agents.events import emit
from agents.models import Agent, Phase
from agents.payloads import phase_payload
from agents.problems import Problem
from modelconfig.providers.base import CancelToken, GenerationCancelled

Check = Callable[[int], list[Problem]]

_PAGES = (".html", ".htm")
_CODE = (".html", ".htm", ".js", ".mjs", ".jsx", ".ts", ".tsx", ".css")
# Problems about a file that should exist: the pages that reference it may be where the fix belongs.
_REFERENCE_CODES = frozenset({"MISSING_FILE", "MISSING_REFERENCE", "BLOCKED_REQUEST"})


def involved_files(problems: Iterable[Problem], files: Mapping[str, str]) -> list[str]:
    """The files a fix of `problems` may change: those they name, the app's pages for a missing or external
    file, and when none is named (an error without a location) the app's pages, scripts and styles."""
    problems = list(problems)
    involved = {p.file for p in problems if p.file}
    if any(p.code in _REFERENCE_CODES for p in problems) or not involved:
        involved |= {path for path in files if path.lower().endswith(_PAGES)}
    if not any(p.file for p in problems):
        involved |= {path for path in files if path.lower().endswith(_CODE)}
    return sorted(involved, key=lambda path: (posixpath.dirname(path), path))


def fix_round(
    *, agent: Agent, phase: Phase, problems: list[Problem], source: str, round: int, cancel: CancelToken
) -> list[str]:
    """Ask the model to fix `problems` (found by the check `source`), changing only the involved files.
    Returns the paths it wrote."""
    files = pipeline._files_context(agent)
    paths = involved_files(problems, files)
    findings = [problem.as_dict() for problem in problems]
    emit(
        agent.pk,
        "fix_round_started",
        message=f"Fixing {_count(problems)} found by the {source} check (round {round} of "
        f"{settings.SELF_CHECK_MAX_FIX_ROUNDS})",
        phaseIndex=phase.index,
        round=round,
        source=source,
        files=paths,
        problems=findings,
    )
    messages = pipeline._fitted(
        agent,
        "phase_implementation",
        keep=paths,
        render=lambda files: prompts.fix_messages(
            blueprint=agent.blueprint,
            phase=phase_payload(phase),
            files=files,
            files_to_write=paths,
            findings=findings,
            source=source,
        ),
    )
    written = pipeline._stream_files(
        agent=agent, phase=phase, action="phase_implementation", messages=messages, cancel=cancel, only=paths
    )
    if written:  # a fix must not break what the static checks passed
        pipeline._check_files(agent=agent, phase=phase, paths=written, cancel=cancel)
    return written


def fix_loop(*, agent: Agent, phase: Phase, cancel: CancelToken, source: str, check: Check) -> list[Problem]:
    """Check, fix, check again, at most `SELF_CHECK_MAX_FIX_ROUNDS` fix rounds; the problems that remain."""
    problems = check(0)
    for round in range(1, settings.SELF_CHECK_MAX_FIX_ROUNDS + 1):
        if not problems:
            break
        if cancel.is_set():
            raise GenerationCancelled()
        written = fix_round(agent=agent, phase=phase, problems=problems, source=source, round=round, cancel=cancel)
        if not written:  # nothing changed: checking again would only find the same
            break
        problems = check(round)
    return problems


def _count(problems: list[Problem]) -> str:
    return "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
