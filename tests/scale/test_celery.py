"""Scaled out on Celery: two daphne processes and two Celery workers (thread pools) over PostgreSQL and Redis.

Twenty generations at once complete with every durable event delivered; a stop sent to one daphne reaches
the run on a worker within a second; a SIGTERM drains a worker without failing a run; a SIGKILL mid-run is
resumed on the other worker with no file lost or repeated.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.scale.cluster import AgentSocket, ApiClient, is_durable, wait_for
from tests.support.scale import (
    GENERATION_TIMEOUT,
    QUERY,
    assert_every_planned_file_generated_once,
    generate,
    redis_url_with_db,
    running_cluster,
    sign_up,
)

# The module's cluster starts inside its first test's setup: together over the default per-test timeout here.
pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]

CONCURRENT = 20


@pytest.fixture(scope="module")
def cluster(module_workdir):
    # 0.01 s per chunk: a generation takes several seconds, long enough to be caught mid-run. Four pooled
    # database connections per process serve sixteen runs (config/database.py).
    env = {
        "ATELIER_TASKS_BACKEND": "celery",
        "ATELIER_WORKER_MAX_RUNS": "16",
        "ATELIER_OFFLINE_CHUNK_DELAY": "0.01",
        "ATELIER_DB_POOL_SIZE": "4",
        # Not what is measured here; its preview-serving threads keep pooled connections out of the small pool.
        "ATELIER_SELF_CHECK": "false",
    }
    with running_cluster(
        module_workdir, redis_url=redis_url_with_db(11), daphnes=("daphne-a", "daphne-b"), workers=(), env=env
    ) as cluster:
        cluster.celery_worker("celery-1")
        cluster.celery_worker("celery-2")
        yield cluster


@pytest.fixture(scope="module")
def daphnes(cluster):
    return [p for p in cluster.processes if p.name.startswith("daphne-")]


@pytest.fixture(scope="module")
def api(daphnes):
    return sign_up(daphnes[0])


@pytest.fixture(scope="module")
def clean(daphnes, api):
    return generate(create_on=daphnes[0], watch_on=daphnes[1], api=api)


def _workers(cluster):
    return {p.pid: p for p in cluster.processes if p.name.startswith("celery-") and p.alive()}


def _start(daphne, api, agent_id) -> AgentSocket:
    socket = AgentSocket(daphne, ApiClient(daphne.url, api.token), agent_id)
    assert socket.recv(timeout=20)["type"] == "agent_connected"
    socket.send({"type": "generate_all"})
    return socket


def _finish(socket: AgentSocket) -> dict:
    return socket.until(lambda f: f["type"] in ("generation_complete", "error"), timeout=GENERATION_TIMEOUT)


def test_twenty_generations_at_once_complete_on_two_workers_with_every_durable_event(cluster, daphnes, api, clean):
    agents = [ApiClient(daphnes[i % 2].url, api.token).create_agent(QUERY)[0] for i in range(CONCURRENT)]
    sockets = [_start(daphnes[(i + 1) % 2], api, agent_id) for i, agent_id in enumerate(agents)]
    ran_on, connections = set(), []
    for agent_id, socket in zip(agents, sockets, strict=True):
        socket.until(lambda f: f["type"] == "file_generating", timeout=GENERATION_TIMEOUT)
        ran_on.add(cluster.lease_pid(agent_id))
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        connections.append(cluster.sql(query, (cluster.db_name,))[0][0])
    for socket in sockets:
        _finish(socket)
        socket.close()

    assert ran_on & set(_workers(cluster)) == set(_workers(cluster)), f"runs held by {ran_on}: both workers work"
    for agent_id, socket in zip(agents, sockets, strict=True):
        assert socket.frames[-1]["type"] == "generation_complete", socket.frames[-3:]
        assert_every_planned_file_generated_once(socket.frames)
        durable = [(f["seq"], f["type"]) for f in socket.frames if is_durable(f)]
        first, last = socket.frames[0]["seq"], socket.frames[-1]["seq"]  # events after the last are not read
        assert durable == [e for e in cluster.durable_events(agent_id) if first < e[0] <= last]
    assert ApiClient(daphnes[0].url, api.token).files(agents[-1]) == clean.files
    # Runs give their connection back to the pool while they wait on the model: 4 processes × a pool of 4.
    assert max(connections) <= 16, f"database connections during the load: {connections}"


def test_a_stop_sent_to_one_daphne_reaches_the_run_on_a_worker_within_a_second(cluster, daphnes, api):
    agent_id, _ = ApiClient(daphnes[0].url, api.token).create_agent(QUERY)
    socket = _start(daphnes[1], api, agent_id)
    socket.until(lambda f: f["type"] == "file_generating", timeout=GENERATION_TIMEOUT)
    assert cluster.lease_pid(agent_id) in _workers(cluster)

    asked = time.monotonic()
    socket.send({"type": "stop_generation"})
    socket.until(lambda f: f["type"] == "generation_stopped", timeout=10)
    took = time.monotonic() - asked
    socket.close()

    assert took < 1.0, f"the stop took {took:.2f} s to reach the run and come back"
    assert ApiClient(daphnes[0].url, api.token).agent(agent_id)["status"] == "stopped"


def test_sigterm_drains_a_worker_and_its_runs_complete_on_the_other(cluster, daphnes, api, clean):
    agents = [ApiClient(daphnes[0].url, api.token).create_agent(QUERY)[0] for _ in range(4)]
    sockets = [_start(daphnes[1], api, agent_id) for agent_id in agents]
    for socket in sockets:
        socket.until(lambda f: f["type"] == "file_generated", timeout=GENERATION_TIMEOUT)
    holders = {cluster.lease_pid(agent_id) for agent_id in agents} - {None}
    victim = _workers(cluster)[next(iter(holders))]

    terminated = time.monotonic()
    victim.terminate()
    victim.popen.wait(timeout=30)
    exited_after = time.monotonic() - terminated
    statuses = [row[0] for row in cluster.sql("SELECT status FROM agents_agent WHERE id = ANY(%s::uuid[])", (agents,))]
    cluster.celery_worker("celery-3")  # a supervisor keeps two workers
    for socket in sockets:
        _finish(socket)
        socket.close()

    assert exited_after < 10, f"the worker took {exited_after:.1f} s to drain"
    assert "generating" in statuses, "the worker waited for its runs to end instead of handing them over"
    for agent_id, socket in zip(agents, sockets, strict=True):
        assert socket.frames[-1]["type"] == "generation_complete", socket.frames[-3:]
        assert not [f for f in socket.frames if f["type"] == "error"]
        assert_every_planned_file_generated_once(socket.frames)
        assert ApiClient(daphnes[0].url, api.token).files(agent_id) == clean.files


def test_sigkill_of_a_worker_mid_run_resumes_on_the_other_with_no_file_lost_or_repeated(cluster, daphnes, api, clean):
    agent_id, _ = ApiClient(daphnes[0].url, api.token).create_agent(QUERY)
    socket = _start(daphnes[1], api, agent_id)
    socket.until(lambda f: f["type"] == "file_generated", timeout=GENERATION_TIMEOUT)
    pid = wait_for(lambda: cluster.lease_pid(agent_id), timeout=10, what="the run's lease")
    victim = _workers(cluster)[pid]

    os.kill(victim.pid, signal.SIGKILL)
    victim.popen.wait(timeout=10)
    killed = time.monotonic()
    _finish(socket)
    resumed_in = time.monotonic() - killed
    socket.close()

    assert socket.frames[-1]["type"] == "generation_complete", socket.frames[-3:]
    assert_every_planned_file_generated_once(socket.frames)
    assert ApiClient(daphnes[0].url, api.token).files(agent_id) == clean.files
    new_holder = [p for p in _workers(cluster) if p != pid]
    assert new_holder, "another worker is alive"
    print(f"\n[celery] SIGKILL → generation_complete on the other worker: {resumed_in:.1f} s")
