"""Redis restarts (no persistence, everything in it lost) while an agent is being generated.

The cluster runs on a private redis-server that the test kills and starts again. Sockets on daphne are
closed by the server when its channel layer loses Redis; the client reconnects with `?after=<last durable
seq>` and misses nothing durable. The run itself rides out a short outage (the cache client reconnects
with backoff) and, after a longer one that kills it, is resumed by the lease sweep.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest
from websockets.exceptions import ConnectionClosed

from tests.scale.cluster import AgentSocket, RedisServer, is_durable, wait_for
from tests.support.scale import (
    GENERATION_TIMEOUT,
    QUERY,
    assert_every_planned_file_generated_once,
    generate,
    running_cluster,
    sign_up,
)

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def redis_server(module_workdir):
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    server = RedisServer(workdir=module_workdir)
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def cluster(module_workdir, redis_server):
    with running_cluster(
        module_workdir, redis_url=redis_server.url, daphnes=("daphne",), workers=("worker",)
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def daphne(cluster):
    return next(p for p in cluster.processes if p.name == "daphne")


@pytest.fixture(scope="module")
def api(daphne):
    return sign_up(daphne)


@pytest.fixture(scope="module")
def clean(daphne, api):
    return generate(create_on=daphne, watch_on=daphne, api=api)


@pytest.mark.parametrize(
    ("outage", "runs"),
    [
        # Shorter than the cache client's ~5 s of reconnecting: the run never notices.
        pytest.param(1.0, [("SUCCESSFUL",)], id="short-outage-run-survives"),
        # Longer: the run's next emit() fails, it keeps its lease, and the sweep resumes it once Redis is back.
        pytest.param(8.0, [("FAILED",), ("SUCCESSFUL",)], id="long-outage-run-resumed-by-sweep"),
    ],
)
def test_clients_reconnecting_after_a_redis_restart_miss_nothing_durable(
    cluster, redis_server, daphne, api, clean, outage, runs, capsys
):
    agent_id, _ = api.create_agent(QUERY)
    socket = AgentSocket(daphne, api, agent_id)
    assert socket.recv(timeout=20)["type"] == "agent_connected"
    socket.send({"type": "generate_all"})
    socket.until(lambda f: f["type"] == "file_generated", timeout=GENERATION_TIMEOUT)

    redis_server.kill()
    killed_at = time.monotonic()
    time.sleep(outage)  # the outage itself: nothing to poll for
    redis_server.start()

    # The server closes the socket (its channel layer lost Redis): the client knows to reconnect.
    with pytest.raises(ConnectionClosed):
        socket.until(lambda f: False, timeout=20)
    after = max(f["seq"] for f in socket.frames if is_durable(f))

    def reconnect():
        try:
            return AgentSocket(daphne, api, agent_id, after=after)
        except (AssertionError, OSError, ConnectionClosed):
            return None

    again = wait_for(reconnect, timeout=30, interval=0.2, what="a new socket")
    again.until(lambda f: f["type"] in ("generation_complete", "error"), timeout=GENERATION_TIMEOUT)
    again.close()
    with capsys.disabled():
        print(
            f"\n[scale] Redis down {outage:.0f} s: generation_complete {time.monotonic() - killed_at:.2f} s "
            f"after the kill"
        )

    assert again.frames[-1]["type"] == "generation_complete", again.frames[-3:]
    seqs = [f["seq"] for f in again.frames]
    assert seqs == sorted(set(seqs))
    events = cluster.durable_events(agent_id)
    # Up to the last frame read: the socket stops at generation_complete, and the build summary follows it.
    last = again.frames[-1]["seq"]
    assert [(f["seq"], f["type"]) for f in again.frames if is_durable(f)] == [e for e in events if after < e[0] <= last]
    # Before and after the restart, the client's two sockets together saw the whole generation, once.
    assert_every_planned_file_generated_once(socket.frames + again.frames)
    assert api.files(agent_id) == clean.files

    tasks = cluster.sql(
        "SELECT status FROM django_tasks_database_dbtaskresult "
        "WHERE args_kwargs -> 'kwargs' ->> 'agent_id' = %s ORDER BY enqueued_at",
        (agent_id,),
    )
    # The first run writes the blueprint and ends "planned"; generate_all then asks for the generating run(s).
    assert tasks == [("SUCCESSFUL",), *runs]
