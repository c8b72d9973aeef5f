"""A scaled-out Atelier on this machine: a fresh PostgreSQL database, a Redis db, daphne and db_worker processes.

Used by the multi-process tests and by `measure_workers.py`. Every process runs in its own process group
so that `stop()` (and a SIGKILL in a crash test) takes its children with it; `Cluster.close()` stops all of
them and drops the database.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-Strong-passw0rd-for-scale"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll `condition()` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Process:
    """One subprocess in its own session (process group), logging to a file."""

    def __init__(self, name: str, args: list[str], *, env: dict, log: Path):
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group: no cleanup, no lease release, as if the host lost power."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 5.0) -> None:
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Children (e.g. an autoreloader's) may outlive the leader: always finish the group.
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)

    def rss_kib(self) -> int:
        """Resident memory of the process (VmRSS from /proc), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class Daphne(Process):
    def __init__(self, name: str, *, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        super().__init__(
            name,
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
            env=env,
            log=log,
        )


class Worker(Process):
    def __init__(self, name: str, *, env: dict, log: Path, interval: float = 0.1):
        self.worker_id = name
        super().__init__(
            name,
            # --no-reload: with DEBUG the autoreloader would put the run in a child of this process.
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--interval",
                str(interval),
                "--no-reload",
                "--no-startup-delay",
                "--worker-id",
                name,
            ],
            env=env,
            log=log,
        )

    def polling(self) -> bool:
        """Whether the worker has started its loop (it logs that before it first polls the queue)."""
        if not self.alive():
            raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
        return f"Starting worker worker_id={self.worker_id}" in self.tail(100_000)


class CeleryWorker(Process):
    """`celery -A config worker` (thread pool, settings' concurrency unless `runs` is given), logging at INFO."""

    def __init__(self, name: str, *, env: dict, log: Path, runs: int | None = None):
        self.worker_id = name
        args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"{name}@%h", "-l", "info"]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        if runs is not None:
            args += ["--concurrency", str(runs)]
        super().__init__(name, args, env=env, log=log)

    def ready(self) -> bool:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
        return " ready." in self.tail(100_000)

    def terminate(self) -> None:
        """SIGTERM to the worker alone: Celery's warm shutdown."""
        os.kill(self.pid, signal.SIGTERM)


class Cluster:
    """A database of its own, a Redis URL, and the processes started on them."""

    def __init__(self, *, workdir: Path, postgres_url: str, redis_url: str, env: dict | None = None):
        import psycopg

        self.workdir = workdir
        self.admin_url = postgres_url
        admin = urlparse(postgres_url)
        self.db_name = f"atelier_scale_{os.getpid()}_{time.monotonic_ns() % 1_000_000}"
        self.database_url = urlunparse(admin._replace(path=f"/{self.db_name}"))
        self.redis_url = redis_url
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url,
            "ATELIER_TASKS_BACKEND": "database",
            "ATELIER_DATA_DIR": str(workdir),
            "DEBUG": "true",
            "ATELIER_OFFLINE_CHUNK_DELAY": "0.003",
            "ATELIER_AGENT_LEASE_SECONDS": "4",
            "ATELIER_AGENT_SWEEP_INTERVAL": "1",
            "ATELIER_AUTO_DEPLOY_PREVIEW": "false",
            "ATELIER_CODEGEN_RATE": "1000/h",
            "ATELIER_LLM_RATE": "1000/h",
            "ATELIER_SIGNUP_RATE": "1000/h",
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        for inherited in ("ALLOWED_HOSTS", "ATELIER_PREVIEW_PORT", "ATELIER_TESTING", "PYTEST_CURRENT_TEST"):
            self.env.pop(inherited, None)
        self.processes: list[Process] = []
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')

    # ------------------------------------------------------------------ lifecycle

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=180,
        )

    def flush_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()
        finally:
            client.close()

    def daphne(self, name: str) -> Daphne:
        process = Daphne(name, env=self.env, log=self.workdir / f"{name}.log")
        self.processes.append(process)
        return process

    def worker(self, name: str, *, interval: float = 0.1) -> Worker:
        process = Worker(name, env=self.env, log=self.workdir / f"{name}.log", interval=interval)
        self.processes.append(process)
        return process

    def celery_worker(self, name: str, *, runs: int | None = None, wait: bool = True) -> CeleryWorker:
        process = CeleryWorker(name, env=self.env, log=self.workdir / f"{name}.log", runs=runs)
        self.processes.append(process)
        if wait:
            wait_for(process.ready, timeout=60, interval=0.2, what=f"{name} to be ready")
        return process

    def lease_pid(self, agent_id: str) -> int | None:
        """The pid of the process whose run holds the agent's lease now (lifecycle.run_owner), if any."""
        rows = self.sql("SELECT lease_owner FROM agents_agent WHERE id = %s", (agent_id,))
        owner = rows[0][0] if rows else ""
        parts = owner.rsplit("-", 2)
        return int(parts[1]) if owner.startswith("run-") and len(parts) == 3 and parts[1].isdigit() else None

    def wait_healthy(self, daphne: Daphne, timeout: float = 60.0) -> None:
        def healthy():
            if not daphne.alive():
                raise RuntimeError(f"{daphne.name} exited:\n{daphne.tail()}")
            try:
                with urllib.request.urlopen(f"{daphne.url}/healthz", timeout=3) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(healthy, timeout=timeout, interval=0.2, what=f"{daphne.name} /healthz")

    def close(self) -> None:
        import psycopg

        for process in self.processes:
            process.stop()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    # ------------------------------------------------------------------ looking at durable state

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def worker_running(self, agent_id: str) -> str | None:
        """The worker id of the db_worker whose task is running this agent now, if any."""
        rows = self.sql(
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE status = 'RUNNING' AND args_kwargs -> 'kwargs' ->> 'agent_id' = %s "
            "ORDER BY started_at DESC LIMIT 1",
            (agent_id,),
        )
        return rows[0][0][-1] if rows and rows[0][0] else None

    def durable_events(self, agent_id: str) -> list[tuple[int, str]]:
        return [
            tuple(row)
            for row in self.sql("SELECT seq, type FROM agents_event WHERE agent_id = %s ORDER BY seq", (agent_id,))
        ]


class RedisServer:
    """A private redis-server (no persistence, like a cache node) that a test may kill and restart."""

    def __init__(self, *, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = workdir / f"redis-{self.port}.log"
        self.process: Process | None = None

    def start(self) -> None:
        self.process = Process(
            f"redis-{self.port}",
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            env=dict(os.environ),
            log=self.log,
        )
        wait_for(self.answers, timeout=10, what="redis-server to answer")

    def answers(self) -> bool:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()


# ---------------------------------------------------------------------- an API client over plain HTTP


class ApiClient:
    """Speaks Atelier's HTTP API to one daphne with a token (docs/architecture.md §8)."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url, self.token = base_url, token

    def _request(self, method: str, path: str, body: dict | None = None, timeout: float = 30.0):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        return urllib.request.urlopen(request, timeout=timeout)

    def json(self, method: str, path: str, body: dict | None = None) -> dict:
        try:
            with self._request(method, path, body) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path} → {exc.code}: {exc.read()[:2000]!r}") from exc

    def signup(self, username: str) -> str:
        body = self.json("POST", "/api/auth/signup", {"username": username, "password": PASSWORD})
        self.token = body["data"]["token"]
        return self.token

    def codegen_lines(self, query: str) -> Iterator[dict]:
        with self._request("POST", "/api/agent/codegen", {"query": query}, timeout=60) as response:
            assert response.headers["Content-Type"].startswith("application/x-ndjson")
            for raw in response:
                if raw.strip():
                    yield json.loads(raw)

    def create_agent(self, query: str) -> tuple[str, dict]:
        """POST /api/agent/codegen, read the NDJSON to the blueprint line: (agent id, blueprint)."""
        agent_id = None
        for line in self.codegen_lines(query):
            if line["type"] == "start":
                agent_id = line["agentId"]
            elif line["type"] == "error":
                raise AssertionError(f"codegen failed: {line}")
            elif line["type"] == "blueprint":
                assert agent_id is not None
                return agent_id, line["blueprint"]
        raise AssertionError("the codegen stream ended without a blueprint")

    def ticket(self, agent_id: str) -> str:
        return self.json("GET", f"/api/agent/{agent_id}/connect")["data"]["ticket"]

    def agent(self, agent_id: str) -> dict:
        return self.json("GET", f"/api/agent/{agent_id}")["data"]

    def files(self, agent_id: str) -> dict[str, str]:
        """Every complete file of the agent, path → content."""
        listed = [f["filePath"] for f in self.agent(agent_id)["files"] if f["complete"]]
        return {
            path: self.json("GET", f"/api/agent/{agent_id}/files/{path}")["data"]["fileContents"] for path in listed
        }


# ---------------------------------------------------------------------- the agent socket


class AgentSocket:
    """The agent WebSocket on one daphne, with a ticket from that daphne (websockets' sync client)."""

    def __init__(self, daphne: Daphne, api: ApiClient, agent_id: str, *, after: int | None = None):
        from websockets.sync.client import connect

        query = f"ticket={api.ticket(agent_id)}" + (f"&after={after}" if after is not None else "")
        self.frames: list[dict] = []
        self._stack = contextlib.ExitStack()
        self.connection = self._stack.enter_context(
            connect(
                f"{daphne.ws_url}/api/agent/{agent_id}/ws?{query}",
                additional_headers={"Origin": daphne.url},
                open_timeout=20,
                max_size=2**22,
                max_queue=None,  # frames wait here while the test reads another socket; pings still answered
            )
        )

    def send(self, frame: dict) -> None:
        self.connection.send(json.dumps(frame))

    def recv(self, timeout: float) -> dict:
        frame = json.loads(self.connection.recv(timeout=timeout))
        self.frames.append(frame)
        return frame

    def until(self, predicate, *, timeout: float, limit: int = 200_000) -> dict:
        """Receive frames until one satisfies `predicate`; that frame is returned."""
        deadline = time.monotonic() + timeout
        for _ in range(limit):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            frame = self.recv(timeout=remaining)
            if predicate(frame):
                return frame
        raise TimeoutError(f"no matching frame in {timeout} s; last frames: {self.frames[-5:]}")

    def close(self) -> None:
        self._stack.close()


# ---------------------------------------------------------------------- reading a generation off its frames


def is_durable(frame: dict) -> bool:
    return frame["type"] not in ("file_chunk_generated", "agent_connected")


def generated_files(frames: list[dict]) -> tuple[set[tuple[int, str]], list[tuple[int, str]], dict[str, str]]:
    """(planned (phase, path) pairs, file_generated (phase, path) in order, last content of each path)."""
    planned: set[tuple[int, str]] = set()
    generated: list[tuple[int, str]] = []
    contents: dict[str, str] = {}
    phase = None
    for frame in frames:
        if frame["type"] in ("phase_generated", "phase_implementing"):
            planned |= {(frame["phase"]["index"], f["path"]) for f in frame["phase"]["files"]}
            if frame["type"] == "phase_implementing":
                phase = frame["phase"]["index"]
        elif frame["type"] == "file_generated":
            generated.append((phase, frame["file"]["filePath"]))
            contents[frame["file"]["filePath"]] = frame["file"]["fileContents"]
    return planned, generated, contents


def seq_counter(redis_url: str, agent_id: str) -> int:
    """The agent's seq counter in the Redis cache: the highest seq handed out so far."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.get(f":1:atelier:seq:{agent_id}") or 0)
    finally:
        client.close()
