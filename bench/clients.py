"""A client process holding many WebSockets (asyncio), as browsers watching agents would.

It times every event that carries `t` (wall clock ns at emit) against its own clock at receipt, and keeps
the seqs each socket received per phase, so the orchestrator can count what was lost.

Commands (JSON lines on stdin): `connect` {sockets: [[url, agent_id]…], origin, headers}, `count` {phase},
`report` {phase} (then forgets that phase), `close`. An origin of "same" sends each socket its own server's.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from array import array
from collections import defaultdict

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.common import commands, raise_nofile_limit, say

CONNECT_CONCURRENCY = 50


def _origin(origin: str | None, url: str) -> str | None:
    """The socket's own server as origin for "same": the socket compares scheme, host and port."""
    if origin != "same":
        return origin
    scheme, rest = url.split("://", 1)
    return f"{'https' if scheme == 'wss' else 'http'}://{rest.split('/', 1)[0]}"


class Socket:
    __slots__ = ("agent_id", "connection", "seqs", "closed_code")

    def __init__(self, agent_id: str):
        self.agent_id = agent_id
        self.connection = None
        self.seqs: dict[str, array] = defaultdict(lambda: array("q"))
        self.closed_code: int | None = None


class Phase:
    __slots__ = ("latency_ns", "first_ns", "last_ns")

    def __init__(self):
        self.latency_ns = array("q")
        self.first_ns = 0
        self.last_ns = 0


class Clients:
    def __init__(self):
        self.sockets: list[Socket] = []
        self.phases: dict[str, Phase] = defaultdict(Phase)
        self.tasks: set[asyncio.Task] = set()

    async def handle(self, command: dict) -> dict:
        kind = command["cmd"]
        if kind == "connect":
            return await self.connect(command)
        if kind == "count":
            phase = self.phases.get(command["phase"])
            return {
                "received": len(phase.latency_ns) if phase else 0,
                "open": sum(1 for s in self.sockets if s.closed_code is None),
            }
        if kind == "report":
            return self.report(command["phase"])
        if kind == "close":
            return await self.close()
        return {"error": f"unknown command {kind!r}"}

    async def connect(self, command: dict) -> dict:
        limit = asyncio.Semaphore(command.get("concurrency", CONNECT_CONCURRENCY))
        headers = command.get("headers") or {}
        failures: list[str] = []
        start = time.perf_counter()

        async def open_one(url: str, agent_id: str) -> None:
            socket = Socket(agent_id)
            async with limit:
                try:
                    connection = await connect(
                        url,
                        origin=_origin(command.get("origin"), url),
                        additional_headers=headers,
                        compression=None,
                        proxy=None,
                        ping_interval=None,
                        max_size=2**23,
                        max_queue=256,
                        open_timeout=60,
                    )
                    first = json.loads(await asyncio.wait_for(connection.recv(), 60))
                except (OSError, ConnectionClosed, TimeoutError, ValueError) as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                    return
            if first.get("type") != "agent_connected":
                failures.append(f"first frame was {first.get('type')!r}")
                await connection.close()
                return
            socket.connection = connection
            self.sockets.append(socket)
            task = asyncio.create_task(self.pump(socket))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

        await asyncio.gather(*(open_one(url, agent_id) for url, agent_id in command["sockets"]))
        return {
            "connected": len(command["sockets"]) - len(failures),
            "failed": len(failures),
            "errors": failures[:3],
            "elapsed_s": time.perf_counter() - start,
        }

    async def pump(self, socket: Socket) -> None:
        loads, phases, seqs = json.loads, self.phases, socket.seqs
        try:
            async for message in socket.connection:
                now = time.time_ns()
                frame = loads(message)
                name = frame.get("phase")
                if name is None:
                    continue
                phase = phases[name]
                phase.latency_ns.append(now - frame["t"])
                if not phase.first_ns:
                    phase.first_ns = now
                phase.last_ns = now
                seqs[name].append(frame["seq"])
        except ConnectionClosed:
            pass
        finally:
            rcvd = socket.connection.protocol.close_rcvd
            socket.closed_code = rcvd.code if rcvd is not None else 1006

    def report(self, name: str) -> dict:
        phase = self.phases.pop(name, None) or Phase()
        per_socket, duplicates, out_of_order = [], 0, 0
        for socket in self.sockets:
            seqs = socket.seqs.pop(name, array("q"))
            distinct = set(seqs)
            duplicates += len(seqs) - len(distinct)
            out_of_order += sum(1 for a, b in zip(seqs, seqs[1:], strict=False) if b <= a)
            per_socket.append([socket.agent_id, len(distinct)])
        return {
            "received": len(phase.latency_ns),
            "latency_us": [v // 1000 for v in phase.latency_ns],
            "first_ns": phase.first_ns,
            "last_ns": phase.last_ns,
            "sockets": per_socket,
            "duplicates": duplicates,
            "out_of_order": out_of_order,
            "closed": sum(1 for s in self.sockets if s.closed_code is not None),
        }

    async def close(self) -> dict:
        await asyncio.gather(*(s.connection.close() for s in self.sockets), return_exceptions=True)
        closed = len(self.sockets)
        self.sockets.clear()
        return {"closed": closed}


async def run() -> None:
    loop = asyncio.get_running_loop()
    clients = Clients()
    finished = asyncio.Event()

    def read_commands() -> None:
        for command in commands():
            future = asyncio.run_coroutine_threadsafe(clients.handle(command), loop)
            try:
                say(future.result())
            except Exception as exc:  # noqa: BLE001 - reported to the orchestrator
                say({"error": f"{type(exc).__name__}: {exc}"})
        loop.call_soon_threadsafe(finished.set)

    threading.Thread(target=read_commands, name="bench-commands", daemon=True).start()
    say({"ready": True})
    await finished.wait()
    await clients.close()


def main() -> None:
    raise_nofile_limit()
    asyncio.run(run())


if __name__ == "__main__":
    main()
