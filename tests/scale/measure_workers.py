"""How many generations at once one worker host sustains with `db_worker`, and what each worker costs.

Not a test (pytest does not collect it). Needs PostgreSQL and Redis as for the scale tests; run from the
repository root:

    .venv/bin/python -m tests.scale.measure_workers [--workers 1 2 4 8] [--agents 8] [--chunk-delay 0.01]

For each worker count N it starts one daphne and N `manage.py db_worker` processes on a fresh database,
creates M agents through the API, sends `generate_all` to all of them at once over their sockets and waits
for every `generation_complete`. It prints, per N: wall time for all M, generations per minute, each
generation's latency (generate_all → generation_complete), worker RSS idle and at peak (VmRSS from
/proc/<pid>/status) and worker CPU seconds per generation. `--runner-threads K` adds, for comparison, the
embedded thread-pool backend: the same runs on K threads of one (daphne) process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.scale.cluster import AgentSocket, ApiClient, Cluster, Process, wait_for

QUERY = "a quiz about planets"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(process: Process) -> float:
    """User + system CPU time of the process so far."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class PeakRss(threading.Thread):
    """Samples VmRSS of some processes every 100 ms and keeps each one's peak."""

    def __init__(self, processes: list[Process]):
        super().__init__(daemon=True)
        self.processes = processes
        self.peaks = {p.pid: p.rss_kib() for p in processes}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            for process in self.processes:
                self.peaks[process.pid] = max(self.peaks[process.pid], process.rss_kib())


def generate_one(daphne, api: ApiClient, agent_id: str, start: threading.Barrier, timeout: float) -> float:
    socket = AgentSocket(daphne, api, agent_id)
    try:
        socket.recv(timeout=30)  # agent_connected
        start.wait(timeout=60)
        began = time.monotonic()
        socket.send({"type": "generate_all"})
        last = socket.until(lambda f: f["type"] in ("generation_complete", "error"), timeout=timeout)
        if last["type"] != "generation_complete":
            raise RuntimeError(f"agent {agent_id} failed: {last}")
        return time.monotonic() - began
    finally:
        socket.close()


def measure(
    *, workers: int, agents: int, chunk_delay: float, postgres_url: str, redis_url: str, runner_threads: int = 0
) -> dict:
    """N db_workers, or (runner_threads > 0) no worker and the runs on that many threads inside daphne."""
    env = {
        "ATELIER_OFFLINE_CHUNK_DELAY": str(chunk_delay),
        "ATELIER_AGENT_LEASE_SECONDS": "30",
        "ATELIER_AGENT_SWEEP_INTERVAL": "10",
        "LOG_LEVEL": "WARNING",
    }
    if runner_threads:
        env |= {"ATELIER_TASKS_BACKEND": "thread", "ATELIER_RUNNER_THREADS": str(runner_threads)}
    with tempfile.TemporaryDirectory(prefix="atelier-measure-") as workdir:
        cluster = Cluster(workdir=Path(workdir), postgres_url=postgres_url, redis_url=redis_url, env=env)
        try:
            cluster.migrate()
            cluster.flush_redis()
            daphne = cluster.daphne("daphne")
            pool = [cluster.worker(f"worker-{i + 1}", interval=0.1) for i in range(workers)]
            cluster.wait_healthy(daphne)
            api = ApiClient(daphne.url)
            api.signup("measure")
            agent_ids = [api.create_agent(QUERY)[0] for _ in range(agents)]
            wait_for(lambda: all(p.polling() for p in pool), timeout=120, what="workers to poll the queue")
            if runner_threads:
                pool = [daphne]  # the runs' process
            idle = [p.rss_kib() for p in pool]
            cpu_before = [cpu_seconds(p) for p in pool]
            sampler = PeakRss([*pool, daphne])
            sampler.start()

            start = threading.Barrier(agents + 1)
            timeout = 120 + 30 * agents
            with ThreadPoolExecutor(max_workers=agents) as executor:
                futures = [executor.submit(generate_one, daphne, api, a, start, timeout) for a in agent_ids]
                start.wait(timeout=60)
                began = time.monotonic()
                latencies = [f.result() for f in futures]
                wall = time.monotonic() - began
            sampler.done.set()
            sampler.join()
            cpu = sum(cpu_seconds(p) for p in pool) - sum(cpu_before)
            return {
                "workers": f"{runner_threads} threads in daphne" if runner_threads else str(workers),
                "agents": agents,
                "wall": wall,
                "per_minute": agents / wall * 60,
                "latency_mean": statistics.mean(latencies),
                "latency_max": max(latencies),
                "rss_idle_mib": statistics.mean(idle) / 1024,
                "rss_peak_mib": statistics.mean(sampler.peaks[p.pid] for p in pool) / 1024,
                "rss_total_mib": sum(sampler.peaks[p.pid] for p in pool) / 1024,
                "daphne_peak_mib": sampler.peaks[daphne.pid] / 1024,
                "cpu_per_generation": cpu / agents,
            }
        finally:
            cluster.close()


def main() -> None:
    from tests.support.services import SERVICE_URLS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4, 8])
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--chunk-delay", type=float, default=0.01, help="offline model's seconds per chunk")
    parser.add_argument(
        "--runner-threads",
        type=int,
        nargs="*",
        default=[],
        help="also measure the thread-pool backend with this many threads in one process",
    )
    parser.add_argument("--postgres", default=SERVICE_URLS["postgres"])
    parser.add_argument("--redis", default=SERVICE_URLS["redis"].rsplit("/", 1)[0] + "/13")
    args = parser.parse_args()

    print(
        f"{os.cpu_count()} CPUs; {args.agents} generations of {QUERY!r} at once, offline model "
        f"{args.chunk_delay} s/chunk; one db_worker runs one generation at a time"
    )
    header = (
        "workers",
        "wall s",
        "gen/min",
        "latency mean s",
        "latency max s",
        "worker RSS idle MiB",
        "worker RSS peak MiB",
        "all workers MiB",
        "daphne MiB",
        "worker CPU s/gen",
    )
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    runs = [{"workers": n} for n in args.workers] + [{"workers": 0, "runner_threads": k} for k in args.runner_threads]
    for run in runs:
        row = measure(
            **run, agents=args.agents, chunk_delay=args.chunk_delay, postgres_url=args.postgres, redis_url=args.redis
        )
        print(
            " | ".join(
                [
                    row["workers"],
                    f"{row['wall']:.1f}",
                    f"{row['per_minute']:.1f}",
                    f"{row['latency_mean']:.1f}",
                    f"{row['latency_max']:.1f}",
                    f"{row['rss_idle_mib']:.0f}",
                    f"{row['rss_peak_mib']:.0f}",
                    f"{row['rss_total_mib']:.0f}",
                    f"{row['daphne_peak_mib']:.0f}",
                    f"{row['cpu_per_generation']:.2f}",
                ]
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
