"""What every benchmark shares: child processes spoken to in JSON lines, fresh databases, figures, tables.

The orchestrating process (`python -m bench`) imports no Django: each configuration needs other settings
(SQLite or PostgreSQL, in-memory or Redis layer), so everything Django runs in a child process started
with that configuration's environment.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import platform
import queue
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DAPHNE = str(Path(sys.executable).with_name("daphne"))
PROTOCOL_PREFIX = "@bench "
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def results_dir() -> Path:
    """Where JSON results, logs and profiles go: bench/results, or $BENCH_RESULTS_DIR (the smoke test's)."""
    return Path(os.environ.get("BENCH_RESULTS_DIR") or ROOT / "bench" / "results")


def log_dir() -> Path:
    path = results_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ------------------------------------------------------------------------------------------ processes


def raise_nofile_limit() -> int:
    """Lift the soft open-files limit to the hard one (a thousand sockets need a thousand descriptors)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def say(message: dict) -> None:
    """A child's answer to its parent: one JSON line on stdout, marked so stray prints are ignored."""
    sys.stdout.write(PROTOCOL_PREFIX + json.dumps(message) + "\n")
    sys.stdout.flush()


def commands() -> Iterable[dict]:
    """A child's view of its parent: one JSON command per stdin line, until stdin closes."""
    for line in sys.stdin:
        line = line.strip()
        if line:
            yield json.loads(line)


def terminate(process: subprocess.Popen, *, grace: float) -> None:
    """SIGTERM, then SIGKILL if it is still there after `grace` seconds."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Child:
    """A child process driven by JSON lines (commands on stdin, `@bench` answers on stdout)."""

    def __init__(self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None):
        self.name = name
        self.log_path = log_dir() / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
            preexec_fn=raise_nofile_limit,
        )
        self._answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, name=f"bench-read-{name}", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith(PROTOCOL_PREFIX):
                self._answers.put(json.loads(line[len(PROTOCOL_PREFIX) :]))
        self._answers.put(None)

    def send(self, command: dict) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def answer(self, timeout: float = 60.0) -> dict:
        try:
            message = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise BenchError(f"{self.name} did not answer within {timeout:.0f} s (log: {self.log_path})") from None
        if message is None:
            raise BenchError(f"{self.name} exited with {self.process.wait()} (log: {self.log_path})")
        if "error" in message:
            raise BenchError(f"{self.name}: {message['error']} (log: {self.log_path})")
        return message

    def ask(self, command: dict, timeout: float = 60.0) -> dict:
        self.send(command)
        return self.answer(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                terminate(self.process, grace=5)
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Server:
    """A server process that speaks no protocol to us (daphne from its command line)."""

    def __init__(self, name: str, argv: Sequence[str], *, env: dict[str, str], port: int):
        self.name, self.port = name, port
        self.log_path = log_dir() / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            preexec_fn=raise_nofile_limit,
        )

    def wait_ready(self) -> Server:
        wait_for_port(self.port, process=self.process, log_path=self.log_path)
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            terminate(self.process, grace=10)
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def daphne(name: str, *, env: dict[str, str], port: int | None = None) -> Server:
    """daphne serving Atelier, started from its command line as in production; call `wait_ready()`."""
    port = port or free_port()
    # On a loaded machine 200 handshakes at once outlast daphne's 5 s accept timeout; the bench measures the
    # stream, not connection storms (bench/README.md).
    argv = [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "-v", "0", "--websocket_connect_timeout", "60"]
    argv.append("config.asgi:application")
    return Server(name, argv, env=env, port=port)


class BenchError(RuntimeError):
    """A benchmark could not run (a process died, a service is missing): reported, never hidden."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(
    port: int, *, process: subprocess.Popen | None = None, log_path: Path | None = None, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BenchError(f"server exited with {process.returncode} before listening (log: {log_path})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise BenchError(f"nothing listens on port {port} after {timeout:.0f} s (log: {log_path})")


def reachable(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1):
            return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise BenchError(f"no VmRSS for process {pid}")


# ------------------------------------------------------------------------------------------ Django


def django_env(*, data_dir: Path, database_url: str, redis_url: str = "", **extra: str) -> dict[str, str]:
    """The environment of a production-like Atelier process (DEBUG off, plain HTTP on loopback)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATELIER_", "DJANGO_", "REDIS_URL", "DATABASE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "false",
            "SECRET_KEY": "atelier-bench-" + "x" * 40,
            "ATELIER_FERNET_KEY": "YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmU=",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "ATELIER_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            # The benchmarks create many apps and chats; the per-user limits are not what is measured.
            "ATELIER_CODEGEN_RATE": "100000/m",
            "ATELIER_LLM_RATE": "100000/m",
            "ATELIER_AUTO_DEPLOY_PREVIEW": "false",
        }
    )
    env.update(extra)
    return env


_SQLITE_TEMPLATE = Path(tempfile.gettempdir()) / f"atelier-bench-migrated-{os.getpid()}.sqlite3"


class Deployment:
    """A fresh database (SQLite file or PostgreSQL database), migrated, with one user owning `agents` apps."""

    def __init__(self, name: str, *, postgres: bool = False, redis_url: str = ""):
        self.name = name
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"atelier-bench-{name}-"))
        self.redis_url = redis_url
        self.pg_name = None
        if postgres:
            base = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
            self.pg_name = f"atelier_bench_{uuid.uuid4().hex[:10]}"
            self._pg_admin(base, f'CREATE DATABASE "{self.pg_name}"')
            self.pg_base = base
            self.database_url = base.rsplit("/", 1)[0] + "/" + self.pg_name
        else:
            self.database_url = f"sqlite:///{self.data_dir / 'db.sqlite3'}"
        self.agent_ids: list[str] = []
        self.answer: dict = {}
        self.session_cookie = ""
        self.api_token = ""

    @staticmethod
    def _pg_admin(base_url: str, statement: str) -> None:
        import psycopg

        with psycopg.connect(base_url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
            connection.execute(statement)

    def env(self, **extra: str) -> dict[str, str]:
        return django_env(data_dir=self.data_dir, database_url=self.database_url, redis_url=self.redis_url, **extra)

    def setup(self, *, agents: int, extra: Sequence[str] = ()) -> Deployment:
        """Migrate, then create the user, its session, an API token and `agents` apps (via bench.djsetup).

        `extra`: more arguments for bench.djsetup; its whole answer is kept in `self.answer`."""
        if self.pg_name is None and _SQLITE_TEMPLATE.exists():
            # Migrating takes seconds: start from a copy of an already migrated, still empty database.
            shutil.copyfile(_SQLITE_TEMPLATE, self.data_dir / "db.sqlite3")
        out = subprocess.run(
            [PYTHON, "-m", "bench.djsetup", "--agents", str(agents), *extra],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        answers = [line[len(PROTOCOL_PREFIX) :] for line in out.stdout.splitlines() if line.startswith(PROTOCOL_PREFIX)]
        if out.returncode != 0 or not answers:
            raise BenchError(f"setting up {self.name} failed:\n{out.stderr[-3000:]}")
        self.answer = data = json.loads(answers[-1])
        self.agent_ids, self.session_cookie, self.api_token = data["agents"], data["cookie"], data["token"]
        if data.get("template") and not _SQLITE_TEMPLATE.exists():
            shutil.copyfile(data["template"], _SQLITE_TEMPLATE)
            atexit.register(_SQLITE_TEMPLATE.unlink, missing_ok=True)
        return self

    def close(self) -> None:
        if self.redis_url and self.agent_ids:
            _forget_redis_keys(self.redis_url, self.agent_ids)
        if self.pg_name:
            self._pg_admin(self.pg_base, f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _forget_redis_keys(redis_url: str, agent_ids: Sequence[str]) -> None:
    """The seq counters are stored without expiry; everything else the layer wrote expires on its own."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        for agent_id in agent_ids:
            for key in client.scan_iter(match=f"*atelier:seq:{agent_id}"):
                client.delete(key)
    finally:
        client.close()


# ------------------------------------------------------------------------------------------ figures


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile of sorted `values` (p in 0..100); NaN when empty."""
    if not values:
        return math.nan
    if len(values) == 1:
        return float(values[0])
    rank = (len(values) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def distribution(values: Iterable[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    return {
        "n": len(ordered),
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or baseline is None or baseline <= 0 or math.isnan(value) or math.isnan(baseline):
        return None
    return value / baseline


def fmt(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A Markdown table (readable in a terminal, pasteable into the README)."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) if cells else len(col) for i, col in enumerate(columns)]
    lines = [f"### {title}", ""]
    lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |")
    lines.append("| " + " | ".join("-" * w for w in widths) + " |")
    for row in cells:
        lines.append("| " + " | ".join(_align(c, w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines) + "\n"


def _align(cell: str, width: int) -> str:
    numeric = cell[:1].isdigit() or cell[:1] in "-.+" or cell.startswith("−")
    return cell.rjust(width) if numeric else cell.ljust(width)


def machine_info() -> dict:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(ram / 2**30, 1),
        "python": platform.python_version(),
        # Other work on the machine moves latency (not the ratios much): the load while this ran.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
    }


def write_result(name: str, data: dict) -> Path:
    """bench/results/<name>.json; smoke runs (tiny sizes, figures meaningless) go to results/smoke/."""
    folder = results_dir() / ("smoke" if data.get("smoke") else "")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    payload = {
        "benchmark": name,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
