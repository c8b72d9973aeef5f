"""The event source of the latency benchmark: a steady rate or bursts of events per agent, on command.

The same schedule drives every configuration: `agents.events.emit()` inside the embedded daphne process
(bench.server), `emit()` in a separate process through Redis (this module's `main`, the way a db_worker
emits), and the raw websockets baseline (bench.raw_server). Each event carries `t`, the wall clock in
nanoseconds taken just before it is handed over, and `phase`, so clients can time and count it.

Commands (one JSON line each on stdin): `{"cmd": "emit", "phase": …, "agents": [ids], "rate": events/s per
agent, "duration": s}` or `{"cmd": "emit", …, "burst": events per agent}`. The answer reports, per agent,
the first and last seq and how many were emitted, plus what emitting cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from bench.common import distribution, raise_nofile_limit, say

# About what a model writes in 50 ms (one coalesced file_chunk_generated).
CHUNK = ("const item = document.createElement('li'); item.textContent = todo.title; list.append(item);\n" * 2)[:160]

Send = Callable[[int, str], int]  # (agent index, phase) -> seq of the event sent


def run_schedule(
    *, send: Send, agents: int, phase: str, rate: float = 0.0, duration: float = 0.0, burst: int = 0
) -> dict:
    """Emit to every agent either `rate`/s for `duration` s (staggered across agents) or `burst` at once."""
    seqs: list[list[int]] = [[] for _ in range(agents)]
    costs: list[float] = []
    lag = 0.0
    start_ns = time.time_ns()
    start = time.perf_counter()
    if burst:
        for _ in range(burst):
            for k in range(agents):
                before = time.perf_counter()
                seqs[k].append(send(k, phase))
                costs.append(time.perf_counter() - before)
    else:
        per_agent = max(1, round(rate * duration))
        for j in range(per_agent):
            for k in range(agents):
                due = start + j / rate + k / (agents * rate)
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                else:
                    lag = max(lag, -wait)
                before = time.perf_counter()
                seqs[k].append(send(k, phase))
                costs.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - start
    return {
        "phase": phase,
        "start_ns": start_ns,
        "elapsed_s": elapsed,
        "emitted": sum(len(s) for s in seqs),
        "per_agent": [{"first": s[0], "last": s[-1], "count": len(s)} for s in seqs],
        "emit_us": {k: (v * 1e6 if v is not None else None) for k, v in distribution(costs).items() if k != "n"},
        "max_lag_ms": lag * 1e3,
    }


def serve(make_send: Callable[[Sequence[str]], Send]) -> None:
    """Answer emit commands from stdin until it closes. `make_send(agent ids)` builds the sender."""
    from bench.common import commands

    for command in commands():
        try:
            if command["cmd"] != "emit":
                say({"error": f"unknown command {command['cmd']!r}"})
                continue
            send = make_send(command["agents"])
            say(
                run_schedule(
                    send=send,
                    agents=len(command["agents"]),
                    phase=command["phase"],
                    rate=command.get("rate", 0.0),
                    duration=command.get("duration", 0.0),
                    burst=command.get("burst", 0),
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported to the orchestrator, which stops the benchmark
            say({"error": f"{type(exc).__name__}: {exc}"})


def django_sender(agent_ids: Sequence[str]) -> Send:
    from agents.events import emit

    def send(k: int, phase: str) -> int:
        frame = emit(
            agent_ids[k], "file_chunk_generated", filePath="src/bench.js", chunk=CHUNK, t=time.time_ns(), phase=phase
        )
        return frame["seq"]

    return send


def main() -> None:
    """A separate emitting process (the Redis configuration): `emit()` publishes on its own loop thread."""
    import django

    raise_nofile_limit()
    django.setup()
    say({"ready": True})
    serve(django_sender)


if __name__ == "__main__":
    main()
