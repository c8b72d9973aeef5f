"""Scaled out for real: two daphne processes and db_worker processes over PostgreSQL and Redis.

A client creates its app through daphne A and watches it on daphne B while a db_worker process writes it;
then the worker is SIGKILLed mid-phase and a replacement resumes the run from durable state.
"""

from __future__ import annotations

import time

import pytest

from tests.scale.cluster import AgentSocket, ApiClient, generated_files, is_durable, seq_counter, wait_for
from tests.support.scale import (
    GENERATION_TIMEOUT,
    QUERY,
    assert_every_planned_file_generated_once,
    generate,
    redis_url_with_db,
    running_cluster,
    sign_up,
)

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(module_workdir):
    with running_cluster(
        module_workdir, redis_url=redis_url_with_db(14), daphnes=("daphne-a", "daphne-b"), workers=("worker-1",)
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def daphne_a(cluster):
    return next(p for p in cluster.processes if p.name == "daphne-a")


@pytest.fixture(scope="module")
def daphne_b(cluster):
    return next(p for p in cluster.processes if p.name == "daphne-b")


@pytest.fixture(scope="module")
def api(daphne_a):
    return sign_up(daphne_a)


@pytest.fixture(scope="module")
def clean(daphne_a, daphne_b, api):
    """One generation with nothing going wrong: created through A, watched on B."""
    return generate(create_on=daphne_a, watch_on=daphne_b, api=api)


def test_app_created_on_one_daphne_is_generated_by_a_worker_and_streamed_to_another(cluster, clean):
    frames = clean.frames
    assert frames[0]["type"] == "agent_connected"
    assert frames[-1]["type"] == "generation_complete", frames[-3:]
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(set(seqs)), "seqs must strictly increase"
    assert any(f["type"] == "file_chunk_generated" for f in frames), "chunks stream while the file is written"

    contents = assert_every_planned_file_generated_once(frames)
    assert {f["path"] for f in clean.blueprint["initialPhase"]["files"]} <= set(contents)
    assert clean.files == contents, "GET /api/agent/<id> files differ from what the socket showed"

    # Every durable event reached the socket on B, in order, from a process that is neither A nor B.
    durable = [(f["seq"], f["type"]) for f in frames if is_durable(f)]
    # Up to the last frame read: the socket stops at generation_complete, and the build summary follows it.
    first, last = frames[0]["seq"], frames[-1]["seq"]
    assert durable == [e for e in cluster.durable_events(clean.agent_id) if first < e[0] <= last]
    ran_on = cluster.sql(
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
        "WHERE args_kwargs -> 'kwargs' ->> 'agent_id' = %s ORDER BY enqueued_at",
        (clean.agent_id,),
    )
    # Two task runs, both on the only worker: the blueprint (it ends "planned"), then the generate_all it got.
    assert ran_on == [("SUCCESSFUL", ["worker-1"]), ("SUCCESSFUL", ["worker-1"])]


def test_run_of_a_killed_worker_resumes_on_a_new_one_with_no_file_lost_or_repeated(
    cluster, clean, daphne_a, daphne_b, api, capsys
):
    agent_id, _ = ApiClient(daphne_a.url, api.token).create_agent(QUERY)
    watcher = ApiClient(daphne_b.url, api.token)
    live = AgentSocket(daphne_b, watcher, agent_id)
    assert live.recv(timeout=20)["type"] == "agent_connected"
    live.send({"type": "generate_all"})
    live.until(lambda f: f["type"] == "file_generated", timeout=GENERATION_TIMEOUT)

    # SIGKILL the db_worker running this agent, mid-phase; a supervisor starts a new one at once.
    victim_id = wait_for(lambda: cluster.worker_running(agent_id), timeout=10, what="the running task")
    victim = next(p for p in cluster.processes if getattr(p, "worker_id", None) == victim_id)
    assert victim.alive()
    victim.kill()
    killed_at = time.monotonic()
    last_seq_before = seq_counter(cluster.redis_url, agent_id)  # nothing issues seqs until the run resumes
    last_durable_seen = max(f["seq"] for f in live.frames if is_durable(f))
    cluster.worker("worker-2")

    # A client that lost its socket in the crash reconnects (here on daphne A) from its last durable seq.
    late = AgentSocket(daphne_a, ApiClient(daphne_a.url, api.token), agent_id, after=last_durable_seen)

    first_resumed = live.until(lambda f: f["seq"] > last_seq_before, timeout=GENERATION_TIMEOUT)
    resumed_after = time.monotonic() - killed_at
    live.until(lambda f: f["type"] in ("generation_complete", "error"), timeout=GENERATION_TIMEOUT)
    completed_after = time.monotonic() - killed_at
    late.until(lambda f: f["type"] in ("generation_complete", "error"), timeout=GENERATION_TIMEOUT)
    live.close()
    late.close()
    with capsys.disabled():
        print(
            f"\n[scale] SIGKILL → first frame of the resumed run ({first_resumed['type']}): {resumed_after:.2f} s; "
            f"→ generation_complete: {completed_after:.2f} s (clean run: {clean.seconds:.2f} s; "
            f"lease {cluster.env['ATELIER_AGENT_LEASE_SECONDS']} s, "
            f"sweep every {cluster.env['ATELIER_AGENT_SWEEP_INTERVAL']} s)"
        )

    assert live.frames[-1]["type"] == "generation_complete", live.frames[-3:]
    seqs = [f["seq"] for f in live.frames]
    assert seqs == sorted(set(seqs)), "seqs must strictly increase across the crash"
    assert_every_planned_file_generated_once(live.frames)
    assert generated_files(live.frames)[0] == generated_files(clean.frames)[0], "the same plan as a clean run"
    assert watcher.files(agent_id) == clean.files, "the resumed app must equal a clean run's, file by file"

    # The reconnecting socket replays exactly the durable events after its seq, then the live tail.
    events = cluster.durable_events(agent_id)
    replayed_and_live = [(f["seq"], f["type"]) for f in late.frames if is_durable(f)]
    assert replayed_and_live == [e for e in events if last_durable_seen < e[0] <= late.frames[-1]["seq"]]
    # The live socket saw every durable event, except at most one committed by the victim whose broadcast the
    # SIGKILL cut off (the layer is at-most-once; replay covers it).
    seen = {(f["seq"], f["type"]) for f in live.frames if is_durable(f)}
    after_connect = [e for e in events if live.frames[0]["seq"] < e[0] <= live.frames[-1]["seq"]]
    assert [e for e in after_connect if e not in seen and e[0] > last_seq_before] == []

    tasks = cluster.sql(
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
        "WHERE args_kwargs -> 'kwargs' ->> 'agent_id' = %s ORDER BY enqueued_at",
        (agent_id,),
    )
    # The blueprint's run, then the victim's row, which the sweep marked FAILED when it resumed the agent, then
    # the one the sweep enqueued.
    assert tasks[1:] == [("FAILED", [victim_id]), ("SUCCESSFUL", ["worker-2"])]
    assert tasks[0][0] == "SUCCESSFUL"


def test_idle_socket_outlives_the_channel_layers_blocking_reads(cluster, clean, daphne_b, api):
    # channels-redis waits for a socket's messages with 5 s BZPOPMINs; a Redis client read timeout of 5 s
    # (redis-py 8's default) made the server close every idle socket with 1011 after about 5 s.
    socket = AgentSocket(daphne_b, ApiClient(daphne_b.url, api.token), clean.agent_id)
    try:
        assert socket.recv(timeout=20)["type"] == "agent_connected"
        with pytest.raises(TimeoutError):
            socket.recv(timeout=11)  # two blocking reads come and go; nothing is sent meanwhile
        socket.send({"type": "get_state"})
        assert socket.until(lambda f: f["type"] == "agent_state", timeout=20)["state"]["status"] == "complete"
    finally:
        socket.close()
