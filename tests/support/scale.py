"""The scaled-out scenarios' helpers: a cluster of processes, and one clean generation to compare to."""

from __future__ import annotations

import contextlib
import itertools
import time
from dataclasses import dataclass
from urllib.parse import urlparse, urlunparse

from tests.scale.cluster import AgentSocket, ApiClient, Cluster, Daphne, generated_files
from tests.support.services import SERVICE_URLS

# The offline model is deterministic: the same request always gives the same files.
QUERY = "a quiz about planets"
GENERATION_TIMEOUT = 90.0
_usernames = itertools.count(1)


def redis_url_with_db(db: int) -> str:
    """The test Redis server, on a database of our own (flushed by the fixture, never /15 of the other tests)."""
    return urlunparse(urlparse(SERVICE_URLS["redis"])._replace(path=f"/{db}"))


@contextlib.contextmanager
def running_cluster(workdir, *, redis_url: str, daphnes: tuple[str, ...], workers: tuple[str, ...], env=None):
    """A migrated database of its own, a flushed Redis db, and the processes named, all healthy."""
    cluster = Cluster(workdir=workdir, postgres_url=SERVICE_URLS["postgres"], redis_url=redis_url, env=env)
    try:
        cluster.migrate()
        cluster.flush_redis()
        servers = [cluster.daphne(name) for name in daphnes]
        for name in workers:
            cluster.worker(name)
        for server in servers:
            cluster.wait_healthy(server)
        yield cluster
    finally:
        cluster.close()


def sign_up(daphne: Daphne) -> ApiClient:
    api = ApiClient(daphne.url)
    api.signup(f"scale-user-{next(_usernames)}")
    return api


@dataclass
class Generation:
    agent_id: str
    blueprint: dict
    frames: list[dict]
    files: dict[str, str]
    seconds: float


def generate(*, create_on: Daphne, watch_on: Daphne, api: ApiClient) -> Generation:
    """Create an agent through one daphne and generate it while watching the socket on another."""
    agent_id, blueprint = ApiClient(create_on.url, api.token).create_agent(QUERY)
    watcher = ApiClient(watch_on.url, api.token)
    socket = AgentSocket(watch_on, watcher, agent_id)
    try:
        assert socket.recv(timeout=20)["type"] == "agent_connected"
        started = time.monotonic()
        socket.send({"type": "generate_all"})
        socket.until(lambda f: f["type"] in ("generation_complete", "error"), timeout=GENERATION_TIMEOUT)
        seconds = time.monotonic() - started
    finally:
        socket.close()
    return Generation(agent_id, blueprint, socket.frames, watcher.files(agent_id), seconds)


def assert_every_planned_file_generated_once(frames: list[dict]) -> dict[str, str]:
    planned, generated, contents = generated_files(frames)
    assert len(generated) == len(set(generated)), f"a file was generated twice in one phase: {generated}"
    assert set(generated) == planned, f"planned {sorted(planned)}, generated {sorted(generated)}"
    return contents
