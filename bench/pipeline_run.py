"""Runs `agents.pipeline.run` on several apps and times it, in the deployment's environment.

Instrumentation, all from outside the pipeline: the model client is wrapped to keep what it streamed (and,
for large files, to pad every file it writes with comment lines), the file writer's callbacks are wrapped
to count chunks and to attribute database statements, and `connection.execute_wrapper` counts the
statements the running thread sends. Then the same text goes through the parser alone, and the same
prompts through the model alone: the baselines.

    python -m bench.pipeline_run --plan '[{"queries": ["a todo list", "a calculator"], "threads": 1, "pad_kb": 0}]'
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator

import django

HEREDOC_ACTIONS = frozenset({"phase_implementation", "file_regeneration", "code_review"})
_OPENING = re.compile(r"^cat > (?P<path>\S+) << '(?P<delim>EOF(?:_\d+)?)'\n", re.MULTILINE)
_local = threading.local()
_settings = {"pad_kib": 0}


def padding(path: str, kib: int) -> str:
    """`kib` KiB of comment lines in the syntax of the file's type (a file that is large, not strange)."""
    if kib <= 0:
        return ""
    wrap = {".js": ("// ", ""), ".css": ("/* ", " */"), ".html": ("<!-- ", " -->")}
    ext = path[path.rfind(".") :] if "." in path else ""
    before, after = wrap.get(ext, ("", ""))
    lines = []
    for i in range(kib * 1024 // 100):
        text = f"padding line {i:06d}: what a long, generated file carries, repeated to make it large"
        lines.append(f"{before}{text:<{96 - len(before) - len(after)}}{after}\n")
    return "".join(lines)


def pad_heredocs(text: str, kib: int) -> str:
    if kib <= 0:
        return text
    return _OPENING.sub(lambda m: m.group(0) + padding(m["path"], kib), text)


def chunked(text: str) -> Iterator[str]:
    from agents.offline_model.client import CHUNK_SIZES

    pos = index = 0
    while pos < len(text):
        chunk = text[pos : pos + CHUNK_SIZES[index % len(CHUNK_SIZES)]]
        pos += len(chunk)
        index += 1
        yield chunk


class Recorder:
    """Everything one run streamed and wrote, per thread."""

    def __init__(self):
        self.calls: list[tuple[str, list, list[str]]] = []  # (action, messages, chunks)
        self.statements: Counter = Counter()  # (where, verb) -> count
        self.chunk_callbacks = 0
        self.files_closed = 0
        self.file_bytes = 0
        self.model_s = 0.0


def instrument() -> None:
    from agents import modelcalls, pipeline

    real_client_for = modelcalls.client_for

    class RecordingClient:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def stream(self, messages, *, cancel=None):
            chunks: list[str] = []
            recorder = _local.recorder
            recorder.calls.append((self.inner.action, list(messages), chunks))
            pad_kib = _settings["pad_kib"]
            if pad_kib and self.inner.action in HEREDOC_ACTIONS:
                source = chunked(pad_heredocs("".join(self.inner.stream(messages, cancel=cancel)), pad_kib))
            else:
                source = iter(self.inner.stream(messages, cancel=cancel))
            while True:
                # Time spent producing each chunk is the model's, not the pipeline's.
                before = time.perf_counter()
                chunk = next(source, None)
                recorder.model_s += time.perf_counter() - before
                if chunk is None:
                    return
                chunks.append(chunk)
                yield chunk

    # Model calls go through agents.modelcalls (continuations, thinking), which looks the client up.
    modelcalls.client_for = lambda *args, **kwargs: RecordingClient(real_client_for(*args, **kwargs))

    writer = pipeline._FileWriter
    for name in ("on_open", "on_chunk", "on_close"):
        original = getattr(writer, name)

        def wrapped(self, *args, _original=original, _name=name):
            _local.where = _name
            try:
                if _name == "on_chunk":
                    _local.recorder.chunk_callbacks += 1
                elif _name == "on_close":
                    _local.recorder.files_closed += 1
                    _local.recorder.file_bytes += len(args[1].encode())
                return _original(self, *args)
            finally:
                _local.where = "elsewhere"

        setattr(writer, name, wrapped)


def count_statements(execute, sql, params, many, context):
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    _local.recorder.statements[(getattr(_local, "where", "elsewhere"), verb)] += 1
    return execute(sql, params, many, context)


def run_one(*, owner, query: str) -> Recorder:
    from django.db import connection

    from agents import pipeline, services
    from agents.models import Agent, AgentStatus

    _local.recorder = recorder = Recorder()
    _local.where = "elsewhere"
    agent = services.agent_create(owner=owner, query=query)
    Agent.objects.filter(pk=agent.pk).update(generation_requested=True)
    with connection.execute_wrapper(count_statements):
        outcome = pipeline.run(agent_id=agent.pk)
    if outcome.status != "complete" or Agent.objects.get(pk=agent.pk).status != AgentStatus.COMPLETE:
        raise RuntimeError(f"run for {query!r} ended {outcome.status}: {outcome.detail}")
    return recorder


def measure(*, owner, queries: list[str], threads: int, pad_kib: int) -> dict:
    """Run the apps of `queries` on `threads` threads; then the baselines on what they streamed."""
    from agents.offline_model import OfflineClient
    from agents.parsing import HeredocParser
    from modelconfig.providers.base import ModelSettings

    _settings["pad_kib"] = pad_kib
    recorders: list[Recorder] = []
    failures: list[str] = []
    queue = list(queries)
    lock = threading.Lock()

    def worker() -> None:
        from django.db import connection

        try:
            while True:
                with lock:
                    if not queue:
                        return
                    query = queue.pop(0)
                recorder = run_one(owner=owner, query=query)
                with lock:
                    recorders.append(recorder)
        except Exception as exc:  # noqa: BLE001 - reported to the orchestrator
            failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    start = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError("; ".join(failures))

    calls = [call for r in recorders for call in r.calls]
    statements: Counter = Counter()
    for recorder in recorders:
        statements.update(recorder.statements)

    # Baseline 1: the parser alone, fed the same chunks.
    parse_start = time.perf_counter()
    for _, _, chunks in calls:
        heredoc = HeredocParser()
        for chunk in chunks:
            heredoc.feed(chunk)
        heredoc.finish()
    parse_elapsed = time.perf_counter() - parse_start

    # Baseline 2: the model alone, asked the same prompts (and padded the same way).
    model_start = time.perf_counter()
    for action, messages, _ in calls:
        client = OfflineClient(action=action, settings=ModelSettings(provider="offline", model="atelier-offline"))
        text = "".join(client.stream(messages))
        if pad_kib and action in HEREDOC_ACTIONS:
            for _ in chunked(pad_heredocs(text, pad_kib)):
                pass
    model_elapsed = time.perf_counter() - model_start

    return {
        "apps": len(recorders),
        "threads": threads,
        "pad_kb": pad_kib,
        "elapsed_s": elapsed,
        "output_bytes": sum(len(c.encode()) for _, _, chunks in calls for c in chunks),
        "file_bytes": sum(r.file_bytes for r in recorders),
        "files": sum(r.files_closed for r in recorders),
        "chunk_callbacks": sum(r.chunk_callbacks for r in recorders),
        "model_calls": len(calls),
        "model_in_run_s": sum(r.model_s for r in recorders),
        "statements": [[where, verb, n] for (where, verb), n in sorted(statements.items())],
        "parser_elapsed_s": parse_elapsed,
        "model_elapsed_s": model_elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", required=True, help='JSON list of {"queries": [...], "threads": n, "pad_kb": k}')
    args = parser.parse_args()
    django.setup()

    from django.db import connection

    from accounts.models import User
    from bench.common import say

    instrument()
    owner = User.objects.get(username="bench")
    run_one(owner=owner, query="a warm-up counter")  # first imports, first statements prepared
    connection.close()
    try:
        runs = [
            measure(owner=owner, queries=item["queries"], threads=item["threads"], pad_kib=item["pad_kb"])
            for item in json.loads(args.plan)
        ]
    except RuntimeError as exc:
        say({"error": str(exc)})
        return
    say({"runs": runs})


if __name__ == "__main__":
    main()
