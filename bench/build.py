"""`python -m bench build`: how long a react-vite preview build takes, cold and cached, and what the sandbox costs.

Rows (the react-vite starter, as the build backend runs it):
- first build: an empty npm cache, so its tarballs are downloaded (`npm cache add`, outside the sandbox),
  then `npm ci --ignore-scripts --offline` and `vite build` in the sandbox;
- cached build: the same lockfile again, nothing downloaded;
- baseline: the same two commands with the same warm cache, without bubblewrap or prlimit.
The sandbox's cost is the cached build over the baseline (a ratio: this machine is shared), and the start-up
of `node -e 0` in the sandbox over outside it. Needs node, npm and bwrap; the first row needs the registry.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import BenchError, fmt, ratio, table, write_result
from previews import sandbox

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "agents" / "starters" / "react-vite"
NPM_CI = ["ci", "--ignore-scripts", "--offline", "--no-audit", "--no-fund", "--logs-max=0", "--loglevel=error"]
LIMITS = sandbox.Limits(wall_seconds=600, cpu_seconds=600, memory_bytes=2 * 1024**3)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BenchError(f"{name} is not installed")
    return path


def _project(into: Path) -> Path:
    shutil.copytree(STARTER, into, ignore=shutil.ignore_patterns("manifest.json", "rules.md"))
    return into


def _download(cache: Path) -> float:
    lock = json.loads((STARTER / "package-lock.json").read_text())
    urls = [entry["resolved"] for key, entry in lock["packages"].items() if key and "resolved" in entry]
    began = time.perf_counter()
    subprocess.run(
        [_tool("npm"), "cache", "add", *urls, f"--cache={cache}"], check=True, capture_output=True, timeout=600
    )
    return time.perf_counter() - began


def _sandboxed(work: Path, cache: Path, argv: list[str]) -> float:
    result = sandbox.run(
        bwrap=_tool("bwrap"), argv=argv, work=work, limits=LIMITS, cache=cache, env={"npm_config_cache": "/cache"}
    )
    if not result.ok:
        raise BenchError(f"{argv[:2]} failed in the sandbox: {' | '.join(result.tail[-5:])}")
    return result.seconds


def _build_sandboxed(cache: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        work = _project(Path(folder) / "app")
        install = _sandboxed(work, cache, [_tool("npm"), *NPM_CI])
        build = _sandboxed(work, cache, [_tool("node"), "node_modules/vite/bin/vite.js", "build"])
    return {"install_s": install, "build_s": build}


def _build_plain(cache: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        work = _project(Path(folder) / "app")
        env = {"PATH": "/usr/bin:/bin", "HOME": folder, "npm_config_cache": str(cache)}
        timings = {}
        for key, argv in (
            ("install_s", [_tool("npm"), *NPM_CI]),
            ("build_s", [_tool("node"), "node_modules/vite/bin/vite.js", "build"]),
        ):
            began = time.perf_counter()
            subprocess.run(argv, cwd=work, env=env, check=True, capture_output=True, timeout=600)
            timings[key] = time.perf_counter() - began
    return timings


def _startup(cache: Path, times: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        inside = min(_sandboxed(Path(folder), cache, [_tool("node"), "-e", "0"]) for _ in range(times))
        outside = []
        for _ in range(times):
            began = time.perf_counter()
            subprocess.run([_tool("node"), "-e", "0"], check=True)
            outside.append(time.perf_counter() - began)
    return inside, min(outside)


def run(*, smoke: bool = False, echo=print) -> dict:
    rounds = 1 if smoke else 2
    with tempfile.TemporaryDirectory(prefix="bench-npm-cache-") as folder:
        cache = Path(folder)
        download = _download(cache)
        first = _build_sandboxed(cache)
        first["download_s"] = download
        cached = [_build_sandboxed(cache) for _ in range(rounds)]
        plain = [_build_plain(cache) for _ in range(rounds)]
        inside, outside = _startup(cache, 3 if smoke else 10)

    def best(rows: list[dict]) -> dict:
        return {key: min(row[key] for row in rows) for key in rows[0]}

    cached_best, plain_best = best(cached), best(plain)
    rows = [
        ("first build (empty cache)", first["download_s"], first["install_s"], first["build_s"]),
        ("cached build (sandbox)", 0.0, cached_best["install_s"], cached_best["build_s"]),
        ("baseline (no sandbox)", 0.0, plain_best["install_s"], plain_best["build_s"]),
    ]
    total = {name: sum(values) for name, *values in rows}
    echo(
        table(
            "react-vite starter build (seconds, best of rounds)",
            ["row", "download", "npm ci", "vite build", "total"],
            [[name, *(fmt(v, 2) for v in values), fmt(total[name], 2)] for name, *values in rows],
        )
    )
    overhead = ratio(total["cached build (sandbox)"], total["baseline (no sandbox)"])
    echo(
        f"sandbox overhead: cached build / baseline = {fmt(overhead, 2)}x; "
        f"node -e 0 start-up {fmt(inside * 1000, 0)} ms in the sandbox vs {fmt(outside * 1000, 0)} ms outside"
    )
    result = {
        "smoke": smoke,
        "first": first,
        "cached": cached_best,
        "baseline": plain_best,
        "overhead_ratio": overhead,
        "startup_ms": {"sandbox": inside * 1000, "plain": outside * 1000},
    }
    write_result("build", result)
    return result
