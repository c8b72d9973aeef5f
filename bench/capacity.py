"""Capacity: how many generations at once one worker process holds, at a real model's pace, and at what cost.

`python -m bench capacity [--runs 100] [--hold 60]` (not part of `all`: it takes several minutes). A fake
OpenAI-compatible model (bench/fake_model.py, real wire protocol) streams the offline model's answers at
~100 characters/s after ~1 s. One daphne serves the sockets; the runs go to

- **celery**: ONE Celery worker process (thread pool, `ATELIER_WORKER_MAX_RUNS` = runs), with `--runs` apps,
  and the database pool on (`ATELIER_DB_POOL_SIZE`);
- **db_worker** (baseline, same invocation): `--db-workers` `manage.py db_worker` processes (one run each),
  with twice as many apps.

For each: apps are created at once through `POST /api/agent/codegen` (their blueprints are runs too), then
each app's socket sends `generate_all` and reads every frame. Sampled every second: runs holding a live lease
(the generations held), RSS and CPU of the worker processes and of daphne, PostgreSQL connections of the
database. Ten sockets at a time send `get_conversation_state` and time the reply (socket round trip under the
load: p50 / p99). The load is held `--hold` seconds after the last `generate_all`, then everything stops.
Needs PostgreSQL and Redis (BENCH_POSTGRES_URL, BENCH_REDIS_URL); writes bench/results/capacity.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import (
    DEFAULT_POSTGRES_URL,
    PYTHON,
    ROOT,
    BenchError,
    Child,
    cpu_seconds,
    distribution,
    fmt,
    rss_bytes,
    table,
    write_result,
)

QUERY = "a quiz about planets"
PROBE_SOCKETS = 10
MIB = 1024 * 1024


def _fake_model(cps: float, first: float) -> tuple[Child, dict]:
    child = Child("fake-model", [PYTHON, "-m", "bench.fake_model", "--cps", str(cps), "--first", str(first)])
    return child, child.answer(timeout=60)


def _cluster_env(model: dict, **extra: str) -> dict:
    return {
        "DEBUG": "false",
        "SECRET_KEY": "atelier-bench-" + "x" * 40,
        "ATELIER_FERNET_KEY": "YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmU=",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "OPENAI_BASE_URL": model["url"],
        "OPENAI_API_KEY": model["api_key"],
        "ATELIER_OPENAI_MODEL": "fake-model",
        # Production defaults: the lease and sweep are not what is measured.
        "ATELIER_AGENT_LEASE_SECONDS": "30",
        "ATELIER_AGENT_SWEEP_INTERVAL": "10",
        "ATELIER_CODEGEN_RATE": "100000/h",
        "ATELIER_LLM_RATE": "100000/h",
        **extra,
    }


class Load:
    """Sockets generating apps, their frames, and the round trips of probes sent on some of them."""

    def __init__(self, daphne, api, agent_ids: list[str]):
        from tests.scale.cluster import AgentSocket

        self.sockets = [AgentSocket(daphne, api, agent_id) for agent_id in agent_ids]
        self.done: dict[int, str] = {}
        self.frames = [0] * len(self.sockets)
        self.rtts: list[float] = []
        self._probes = [deque() for _ in self.sockets]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._read, args=(i,), daemon=True) for i in range(len(self.sockets))]

    def start(self) -> None:
        for socket in self.sockets:
            socket.recv(timeout=30)  # agent_connected
        for thread in self._threads:
            thread.start()
        for socket in self.sockets:
            socket.send({"type": "generate_all"})
        threading.Thread(target=self._probe, daemon=True).start()

    def _read(self, index: int) -> None:
        socket = self.sockets[index]
        while not self._stop.is_set():
            try:
                raw = socket.connection.recv(timeout=1)
            except TimeoutError:
                continue
            except Exception:  # noqa: BLE001 - the socket closed: the load is over for it
                return
            frame = json.loads(raw)
            self.frames[index] += 1
            if frame["type"] == "conversation_state" and self._probes[index]:
                self.rtts.append(time.monotonic() - self._probes[index].popleft())
            elif frame["type"] in ("generation_complete", "error"):
                self.done.setdefault(index, frame["type"])

    def _probe(self) -> None:
        turn = 0
        while not self._stop.wait(1.0):
            for offset in range(PROBE_SOCKETS):
                index = (turn + offset) % len(self.sockets)
                if index in self.done:
                    continue
                self._probes[index].append(time.monotonic())
                try:
                    self.sockets[index].send({"type": "get_conversation_state"})
                except Exception:  # noqa: BLE001 - closed meanwhile
                    self._probes[index].pop()
            turn += PROBE_SOCKETS

    def close(self) -> None:
        self._stop.set()
        for socket in self.sockets:
            try:
                socket.close()
            except Exception:  # noqa: BLE001 - already closed
                pass


class Sampler:
    """Once a second: live leases, RSS and CPU of the processes, database connections."""

    def __init__(self, cluster, workers, daphne):
        self.cluster, self.workers, self.daphne = cluster, workers, daphne
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                held = self.cluster.sql(
                    "SELECT count(*) FROM agents_agent WHERE lease_owner LIKE 'run-%%' AND lease_expires_at > now()"
                )[0][0]
                connections = self.cluster.sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.cluster.db_name,)
                )[0][0]
                self.samples.append(
                    {
                        "t": time.monotonic(),
                        "held": held,
                        "db_connections": connections,
                        "worker_rss": sum(rss_bytes(w.pid) for w in self.workers),
                        "worker_cpu": sum(cpu_seconds(w.pid) for w in self.workers),
                        "daphne_rss": rss_bytes(self.daphne.pid),
                        "daphne_cpu": cpu_seconds(self.daphne.pid),
                    }
                )
            except Exception as exc:  # noqa: BLE001 - a sample lost is not the benchmark lost
                print(f"   sample failed: {exc}", flush=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _measure(name: str, *, model: dict, runs: int, hold: float, backend_env: dict, start_workers) -> dict:
    from tests.scale.cluster import ApiClient, Cluster

    workdir = Path(tempfile.mkdtemp(prefix=f"bench-capacity-{name}-"))
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    postgres_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    cluster = Cluster(
        workdir=workdir, postgres_url=postgres_url, redis_url=redis_url, env=_cluster_env(model, **backend_env)
    )
    try:
        cluster.migrate()
        cluster.flush_redis()
        daphne = cluster.daphne("daphne")
        cluster.wait_healthy(daphne)
        workers = start_workers(cluster)
        time.sleep(2)
        idle = {"worker_rss": sum(rss_bytes(w.pid) for w in workers), "daphne_rss": rss_bytes(daphne.pid)}
        api = ApiClient(daphne.url)
        api.signup(f"bench-{name}")
        sampler = Sampler(cluster, workers, daphne)
        sampler.start()

        began = time.monotonic()
        print(f"   {name}: creating {runs} apps at once (blueprints at the model's pace)", flush=True)
        with ThreadPoolExecutor(max_workers=runs) as pool:
            agent_ids = [a for a, _ in pool.map(lambda _: api.create_agent(QUERY), range(runs))]
        planned = time.monotonic()
        print(f"   {name}: {runs} blueprints in {planned - began:.1f} s; generating", flush=True)
        load = Load(daphne, api, agent_ids)
        load.start()
        generating = time.monotonic()
        deadline = generating + hold
        while time.monotonic() < deadline and len(load.done) < runs:
            time.sleep(1)
        ended = time.monotonic()
        sampler.stop()
        load.close()

        window = [s for s in sampler.samples if s["t"] >= generating + min(10.0, hold / 3)]
        if len(window) < 2:
            raise BenchError(f"{name}: too few samples in the load window")
        cpu_s = window[-1]["worker_cpu"] - window[0]["worker_cpu"]
        wall_s = window[-1]["t"] - window[0]["t"]
        held = [s["held"] for s in window]
        peak_rss = max(s["worker_rss"] for s in window)
        result = {
            "config": name,
            "apps": runs,
            "worker_processes": len(workers),
            "blueprint_seconds": planned - began,
            "held_median": statistics.median(held),
            "held_min": min(held),
            "held_max": max(s["held"] for s in sampler.samples),
            "completed": sum(1 for v in load.done.values() if v == "generation_complete"),
            "failed": sum(1 for v in load.done.values() if v == "error"),
            "frames": sum(load.frames),
            "frames_per_s": sum(load.frames) / max(ended - generating, 1e-9),
            "worker_rss_idle_mib": idle["worker_rss"] / MIB,
            "worker_rss_peak_mib": peak_rss / MIB,
            "worker_rss_per_run_kib": (peak_rss - idle["worker_rss"]) / max(statistics.median(held), 1) / 1024,
            "worker_cpu_percent": 100 * cpu_s / max(wall_s, 1e-9),
            "daphne_rss_peak_mib": max(s["daphne_rss"] for s in window) / MIB,
            "daphne_cpu_percent": 100 * (window[-1]["daphne_cpu"] - window[0]["daphne_cpu"]) / max(wall_s, 1e-9),
            "db_connections_max": max(s["db_connections"] for s in sampler.samples),
            "probe_rtt_ms": distribution([r * 1000 for r in load.rtts]),
            "seconds_held": ended - generating,
        }
        return result
    finally:
        cluster.close()


def _celery_workers(runs: int):
    def start(cluster):
        return [cluster.celery_worker("celery-1", runs=runs)]

    return start


def _db_workers(count: int):
    def start(cluster):
        from tests.scale.cluster import wait_for

        workers = [cluster.worker(f"db-worker-{i}", interval=0.2) for i in range(count)]
        for worker in workers:
            wait_for(worker.polling, timeout=60, interval=0.2, what=f"{worker.name} polling")
        return workers

    return start


def run(*, runs: int = 100, hold: float = 60.0, db_workers: int = 8, cps: float = 100.0, first: float = 1.0) -> dict:
    model_process, model = _fake_model(cps, first)
    try:
        configs = [
            _measure(
                "db_worker",
                model=model,
                runs=db_workers * 2,
                hold=hold / 2,
                backend_env={"ATELIER_TASKS_BACKEND": "database"},
                start_workers=_db_workers(db_workers),
            ),
            _measure(
                "celery",
                model=model,
                runs=runs,
                hold=hold,
                backend_env={
                    "ATELIER_TASKS_BACKEND": "celery",
                    "ATELIER_WORKER_MAX_RUNS": str(runs),
                    "ATELIER_DB_POOL_SIZE": "10",
                },
                start_workers=_celery_workers(runs),
            ),
        ]
    finally:
        model_process.stop()
    columns = [
        "config",
        "worker procs",
        "apps",
        "held (median / min / max)",
        "completed",
        "failed",
        "frames/s",
        "worker RSS idle / peak MiB",
        "KiB per run",
        "worker CPU %",
        "daphne CPU %",
        "DB conns max",
        "socket RTT p50 / p99 ms",
    ]
    rows = [
        [
            c["config"],
            c["worker_processes"],
            c["apps"],
            f"{c['held_median']:.0f} / {c['held_min']} / {c['held_max']}",
            c["completed"],
            c["failed"],
            fmt(c["frames_per_s"], 0),
            f"{c['worker_rss_idle_mib']:.0f} / {c['worker_rss_peak_mib']:.0f}",
            fmt(c["worker_rss_per_run_kib"], 0),
            fmt(c["worker_cpu_percent"], 0),
            fmt(c["daphne_cpu_percent"], 0),
            c["db_connections_max"],
            f"{fmt(c['probe_rtt_ms']['p50'])} / {fmt(c['probe_rtt_ms']['p99'])}",
        ]
        for c in configs
    ]
    title = f"Capacity at {cps:.0f} chars/s, first chunk after {first:.1f} s (held {hold:.0f} s)"
    print(table(title, columns, rows), flush=True)
    data = {"cps": cps, "first_token_s": first, "configs": configs}
    write_result("capacity", data)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--hold", type=float, default=60.0)
    parser.add_argument("--db-workers", type=int, default=8)
    parser.add_argument("--cps", type=float, default=100.0)
    parser.add_argument("--first", type=float, default=1.0)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    run(runs=args.runs, hold=args.hold, db_workers=args.db_workers, cps=args.cps, first=args.first)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
