"""Capacity and memory: RSS of one daphne process holding 100 / 500 / 1,000 idle agent sockets.

daphne serves Atelier as `make run` does (embedded default: SQLite, in-memory layer), each socket opened
with a browser session and Origin, and answered with its `agent_connected` snapshot; then nobody talks.
Baseline, same run: the raw websockets server (bench.raw_server) holding the same sockets. Open-files
limits are raised in the server and client processes. How many concurrent generations a worker host
carries is measured elsewhere: tests/scale/measure_workers.py.
"""

from __future__ import annotations

import time
import uuid
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field

from bench.common import (
    PYTHON,
    BenchError,
    Child,
    Deployment,
    cpu_seconds,
    daphne,
    fmt,
    free_port,
    ratio,
    rss_bytes,
    table,
    write_result,
)

MIB = 2**20


@dataclass(frozen=True)
class Sizes:
    counts: list[int] = field(default_factory=lambda: [100, 500, 1000])
    per_agent: int = 10
    idle_s: float = 3.0  # how long the sockets sit idle before RSS and CPU are read


SMOKE = Sizes(counts=[5, 10], per_agent=5, idle_s=0.5)


def _settled_rss(pid: int, seconds: float) -> int:
    """RSS after `seconds` of idleness (the largest of a few readings: memory is not given back quickly)."""
    readings = []
    end = time.monotonic() + seconds
    while True:
        readings.append(rss_bytes(pid))
        if time.monotonic() >= end:
            return max(readings[-3:])
        time.sleep(min(0.25, max(0.0, end - time.monotonic())))


def _hold(
    name: str, server_pid: int, url: str, agent_ids: list[str], sizes: Sizes, *, origin: str | None, headers: dict
) -> dict:
    with ExitStack() as stack:
        clients = stack.enter_context(Child(f"memory-{name}-clients", [PYTHON, "-m", "bench.clients"]))
        clients.answer(timeout=30)
        # Warm-up: one socket opened and closed, so both servers have imported and initialised everything.
        warm = clients.ask(
            {
                "cmd": "connect",
                "sockets": [[f"{url}/api/agent/{agent_ids[0]}/ws", agent_ids[0]]],
                "origin": origin,
                "headers": headers,
            },
            timeout=60,
        )
        if warm["failed"]:
            raise BenchError(f"{name}: the warm-up socket failed: {warm['errors']}")
        clients.ask({"cmd": "close"})
        steps = [{"sockets": 0, "rss": _settled_rss(server_pid, sizes.idle_s), "connect_s": 0.0, "idle_cpu_pct": None}]
        held = 0
        for count in sizes.counts:
            plan = [
                [
                    f"{url}/api/agent/{agent_ids[(i // sizes.per_agent) % len(agent_ids)]}/ws",
                    agent_ids[(i // sizes.per_agent) % len(agent_ids)],
                ]
                for i in range(held, count)
            ]
            answer = clients.ask({"cmd": "connect", "sockets": plan, "origin": origin, "headers": headers}, timeout=600)
            if answer["failed"]:
                raise BenchError(f"{name}: {answer['failed']} of {len(plan)} sockets failed: {answer['errors']}")
            held = count
            cpu_before, wall_before = cpu_seconds(server_pid), time.monotonic()
            rss = _settled_rss(server_pid, sizes.idle_s)
            idle_cpu = 100 * (cpu_seconds(server_pid) - cpu_before) / (time.monotonic() - wall_before)
            open_now = clients.ask({"cmd": "count", "phase": "-"})["open"]
            if open_now != count:
                raise BenchError(f"{name}: {count - open_now} of {count} idle sockets were closed by the server")
            steps.append(
                {
                    "sockets": count,
                    "rss": rss,
                    "connect_s": answer["elapsed_s"],
                    "idle_cpu_pct": idle_cpu,
                    "connects_per_s": len(plan) / answer["elapsed_s"] if answer["elapsed_s"] else None,
                }
            )
        clients.ask({"cmd": "close"}, timeout=120)
        after_close = _settled_rss(server_pid, sizes.idle_s)
    base = steps[0]["rss"]
    for step in steps:
        step["rss_mib"] = step["rss"] / MIB
        step["per_socket_kib"] = (step["rss"] - base) / step["sockets"] / 1024 if step["sockets"] else None
    return {"server": name, "steps": steps, "rss_after_close_mib": after_close / MIB}


def run(*, smoke: bool = False, echo=print) -> dict:
    sizes = SMOKE if smoke else Sizes()
    agents = max(1, max(sizes.counts) // sizes.per_agent)
    servers = []
    with ExitStack() as stack:
        raw_port = free_port()
        raw = stack.enter_context(
            Child("memory-raw-server", [PYTHON, "-m", "bench.raw_server", "--port", str(raw_port)])
        )
        raw.answer(timeout=30)
        servers.append(
            _hold(
                "raw websockets",
                raw.pid,
                f"ws://127.0.0.1:{raw_port}",
                [str(uuid.uuid4()) for _ in range(agents)],
                sizes,
                origin=None,
                headers={},
            )
        )
        raw.stop()

        deployment = stack.enter_context(Deployment("memory"))
        deployment.setup(agents=agents)
        server = stack.enter_context(daphne("memory-daphne", env=deployment.env())).wait_ready()
        servers.insert(
            0,
            _hold(
                "daphne (Atelier)",
                server.pid,
                f"ws://127.0.0.1:{server.port}",
                deployment.agent_ids,
                sizes,
                origin=f"http://127.0.0.1:{server.port}",
                headers={"Cookie": deployment.session_cookie},
            ),
        )

    atelier, raw_result = servers
    top = sizes.counts[-1]
    rss_top = atelier["steps"][-1]["rss_mib"]
    targets = [
        {
            "target": f"{top:,} idle sockets under 200 MB per process",
            "figure": f"{fmt(rss_top, 1)} MiB ({fmt(atelier['steps'][-1]['per_socket_kib'], 1)} KiB per socket)",
            "met": rss_top * MIB < 200 * 10**6,
            "ratio_to_raw": ratio(rss_top, raw_result["steps"][-1]["rss_mib"]),
        }
    ]
    result = {"sizes": asdict(sizes), "smoke": smoke, "servers": servers, "targets": targets}
    path = write_result("memory", result)
    echo(render(result))
    echo(f"written to {path}")
    return result


def render(result: dict) -> str:
    raw = {s["sockets"]: s for s in result["servers"][1]["steps"]}
    columns = [
        "server",
        "idle sockets",
        "RSS MiB",
        "KiB per socket",
        "RSS / raw",
        "connect s",
        "connects/s",
        "idle CPU %",
    ]
    body = []
    for server in result["servers"]:
        for step in server["steps"]:
            base = raw.get(step["sockets"])
            body.append(
                [
                    server["server"],
                    step["sockets"],
                    fmt(step["rss_mib"], 1),
                    fmt(step["per_socket_kib"], 1),
                    fmt(ratio(step["rss_mib"], base["rss_mib"]) if base else None, 2),
                    fmt(step["connect_s"], 2),
                    fmt(step.get("connects_per_s"), 0),
                    fmt(step["idle_cpu_pct"], 1),
                ]
            )
        body.append([server["server"], "after close", fmt(server["rss_after_close_mib"], 1), "", "", "", "", ""])
    text = table("Idle sockets: memory and connect rate (one server process)", columns, body)
    text += "\n" + table(
        "Memory targets",
        ["target", "figure", "ratio to raw", "met"],
        [[t["target"], t["figure"], fmt(t["ratio_to_raw"], 2), "yes" if t["met"] else "NO"] for t in result["targets"]],
    )
    return text
