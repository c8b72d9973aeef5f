"""Where a process spends its time: py-spy samples it, and the collapsed stacks are summarised here.

`python -m bench latency --profile` records every server process (and a separate emitter) during the
heaviest steady load; `pipeline --profile` records the pipeline runs. Each writes
`bench/results/profiles/<name>.txt` (collapsed stacks: feed them to any flame-graph tool) and
`<name>.top.txt` (the functions with the most samples, own and inclusive).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

from bench.common import results_dir


def py_spy() -> str | None:
    from bench.common import PYTHON

    local = Path(PYTHON).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def output_path(name: str) -> Path:
    folder = results_dir() / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.txt"


class Recording:
    """py-spy attached to `pid` for `seconds` (all threads, idle samples left out)."""

    def __init__(self, name: str, pid: int, seconds: float, rate: int = 200):
        binary = py_spy()
        if binary is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy)")
        self.name = name
        self.path = output_path(name)
        self.process = subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, round(seconds))),
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--output",
                str(self.path),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self, top: int = 25) -> dict:
        _, err = self.process.communicate(timeout=120)
        if not self.path.exists():
            return {"name": self.name, "error": err.strip()[-500:]}
        summary = summarise(self.path, top=top)
        output_path(f"{self.name}.top").write_text(render(summary))
        return summary


def summarise(path: Path, top: int = 25, focus: str = "") -> dict:
    """Own and inclusive share of samples per function, from py-spy's collapsed ("raw") output.

    `focus`: only stacks through a frame containing this text (e.g. `run (agents/pipeline.py`).
    """
    own: Counter = Counter()
    inclusive: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit() or focus not in stack:
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    return {
        "name": path.stem + (f" (stacks through {focus})" if focus else ""),
        "samples": total,
        "own": [(f, 100 * n / total) for f, n in own.most_common(top)] if total else [],
        "inclusive": [(f, 100 * n / total) for f, n in inclusive.most_common(top * 2)] if total else [],
    }


def _short(frame: str) -> str:
    """`send_json (channels/generic/websocket.py:123)` without the line number or the venv prefix."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name


def render(summary: dict) -> str:
    lines = [f"{summary['name']}: {summary['samples']} samples", "", "own time:"]
    lines += [f"  {share:5.1f}%  {frame}" for frame, share in summary["own"]]
    lines += ["", "inclusive time:"]
    lines += [f"  {share:5.1f}%  {frame}" for frame, share in summary["inclusive"]]
    return "\n".join(lines) + "\n"
