"""A model at a real model's pace, for the capacity benchmark: `python -m bench.fake_model --cps 100 --first 1.0`.

tests/fake_llm.py's server (the OpenAI wire protocol, through the official SDK) answering as the offline
model would, but streaming `--cps` characters a second in 10-character chunks, after `--first` seconds.
Prints `@bench {"url": ...}` once listening and serves until its standard input closes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cps", type=float, default=100.0, help="characters per second of each answer")
    parser.add_argument("--first", type=float, default=1.0, help="seconds before an answer's first characters")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from bench.common import say
    from tests.agents.test_generation_on_real_wire import offline_responder
    from tests.fake_llm import FakeLLMServer

    size = 10

    def paced(body: dict) -> list[str]:
        text = offline_responder(body)
        time.sleep(args.first)  # the model reads the prompt: the stream's first chunk comes this late
        return [text[i : i + size] for i in range(0, len(text), size)] or [""]

    server = FakeLLMServer(flavor="openai", responder=paced).start()
    server.chunk_delay = size / args.cps
    say({"url": server.base_url, "api_key": server.api_key})
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
