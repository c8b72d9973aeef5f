"""The baseline: a bare `websockets` (asyncio) server that fans the same frames out to the same clients.

It speaks just enough of Atelier's socket for the bench clients: `/api/agent/<id>/ws` gets an
`agent_connected` frame, then every event emitted for that agent. Events come from the same schedule as
Atelier's (bench.emitter), built on a thread and handed to the server loop, so the difference in latency
and throughput is what daphne, Channels, the layer and Atelier's consumer add.

    python -m bench.raw_server --port 8766
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Sequence

from websockets.asyncio.server import broadcast, serve

from bench.common import raise_nofile_limit, say
from bench.emitter import CHUNK, Send
from bench.emitter import serve as serve_commands


class Fanout:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.sockets: dict[str, set] = defaultdict(set)
        self.seqs: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))

    async def handler(self, websocket) -> None:
        parts = websocket.request.path.split("?")[0].strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["api", "agent"] or parts[3] != "ws":
            await websocket.close(4404)
            return
        agent_id = parts[2]
        members = self.sockets[agent_id]
        members.add(websocket)
        try:
            await websocket.send(json.dumps({"type": "agent_connected", "seq": 0, "state": {"agentId": agent_id}}))
            await websocket.wait_closed()
        finally:
            members.discard(websocket)

    def sender(self, agent_ids: Sequence[str]) -> Send:
        def send(k: int, phase: str) -> int:
            agent_id = agent_ids[k]
            seq = next(self.seqs[agent_id])
            frame = json.dumps(
                {
                    "type": "file_chunk_generated",
                    "seq": seq,
                    "filePath": "src/bench.js",
                    "chunk": CHUNK,
                    "t": time.time_ns(),
                    "phase": phase,
                }
            )
            self.loop.call_soon_threadsafe(broadcast, self.sockets[agent_id], frame)
            return seq

        return send


async def run(port: int) -> None:
    fanout = Fanout(asyncio.get_running_loop())
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def control() -> None:
        serve_commands(fanout.sender)
        loop.call_soon_threadsafe(done.set)

    # As daphne does: no compression, pings every 20 s.
    async with serve(fanout.handler, "127.0.0.1", port, compression=None, ping_interval=20, ping_timeout=30):
        say({"ready": True, "port": port})
        threading.Thread(target=control, name="bench-emitter", daemon=True).start()
        await done.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    raise_nofile_limit()
    asyncio.run(run(args.port))


if __name__ == "__main__":
    main()
