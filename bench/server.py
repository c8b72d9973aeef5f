"""The embedded default under load: one daphne process serving Atelier, with the emitter inside it.

The in-memory channel layer lives in one process, so `emit()` must run in the daphne process itself, as
an agent run on the embedded thread pool does. This builds the ASGI application, starts daphne's `Server`
on the main thread, and answers emit commands (bench.emitter) on another thread. Nothing is added to the
application: the sockets are Atelier's own `/api/agent/<id>/ws`.

    python -m bench.server --port 8765
"""

from __future__ import annotations

# daphne.server installs the asyncio Twisted reactor: it must be imported before anything imports Twisted.
import daphne.server  # noqa: I001  isort:skip

import argparse
import threading

import django

from bench.common import raise_nofile_limit, say
from bench.emitter import django_sender, serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    raise_nofile_limit()
    django.setup()
    from twisted.internet import reactor

    from config.asgi import application

    def control() -> None:
        serve(django_sender)
        reactor.callFromThread(reactor.stop)

    server = daphne.server.Server(
        application,
        endpoints=[f"tcp:port={args.port}:interface=127.0.0.1"],
        signal_handlers=True,
        verbosity=0,
        # As bench.common.daphne: handshake storms on a loaded machine outlast the defaults.
        websocket_connect_timeout=60,
        websocket_handshake_timeout=60,
        ready_callable=lambda: say({"ready": True, "port": args.port}),
    )
    threading.Thread(target=control, name="bench-emitter", daemon=True).start()
    server.run()


if __name__ == "__main__":
    main()
