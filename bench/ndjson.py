"""NDJSON streaming: what `POST /api/agent/codegen` adds to the model's own chunk timing.

The server is daphne serving Atelier (embedded default) with the offline model pausing a fixed delay
between chunks. For each request: time to the first response byte (headers), to the `start` line and to
the first `chunk` line, counted from the moment the request was written to an open connection, and the
gaps between `chunk` lines. Baseline, same run: the offline model's own timing for the same prompt
(`OfflineClient.stream`, timed by bench.djsetup), so the server's added latency is the difference.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass

from bench.common import (
    BenchError,
    Deployment,
    daphne,
    distribution,
    fmt,
    ratio,
    table,
    write_result,
)

QUERY = "a todo list app with due dates and filters"


@dataclass(frozen=True)
class Sizes:
    delay: float = 0.01  # seconds between the offline model's chunks
    sequential: int = 10  # requests one after another
    concurrent: int = 8  # requests at once
    model_runs: int = 5


SMOKE = Sizes(delay=0.002, sequential=2, concurrent=2, model_runs=1)


def _request(port: int, token: str) -> dict:
    """One codegen request on a connection opened beforehand; times every NDJSON line."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.connect()
    try:
        body = json.dumps({"query": QUERY})
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        connection.putrequest("POST", "/api/agent/codegen")
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body.encode())
        sent = time.perf_counter()
        response = connection.getresponse()
        headers_at = time.perf_counter()
        if response.status != 200:
            raise BenchError(f"codegen answered {response.status}: {response.read()[:300]!r}")
        lines = []
        while True:
            line = response.readline()
            if not line:
                break
            lines.append((time.perf_counter(), json.loads(line)))
    finally:
        connection.close()
    kinds = [item["type"] for _, item in lines]
    if "blueprint" not in kinds:
        raise BenchError(f"codegen stream ended without a blueprint: {kinds[-3:]}")
    chunk_times = [at for at, item in lines if item["type"] == "chunk"]
    start_at = next(at for at, item in lines if item["type"] == "start")
    blueprint_at = next(at for at, item in lines if item["type"] == "blueprint")
    return {
        "headers_s": headers_at - sent,
        "start_line_s": start_at - sent,
        "first_chunk_s": chunk_times[0] - sent if chunk_times else None,
        "blueprint_s": blueprint_at - sent,
        "gaps_s": [b - a for a, b in zip(chunk_times, chunk_times[1:], strict=False)],
        "chunks": len(chunk_times),
        "stream_s": (chunk_times[-1] - chunk_times[0]) if chunk_times else None,
    }


def _concurrently(port: int, token: str, count: int) -> list[dict]:
    results: list[dict | BaseException] = [None] * count
    barrier = threading.Barrier(count)

    def work(i: int) -> None:
        try:
            barrier.wait(10)
            results[i] = _request(port, token)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for item in results:
        if isinstance(item, BaseException):
            raise BenchError(f"a concurrent codegen request failed: {item}")
    return results


def _summary(label: str, runs: list[dict]) -> dict:
    ms = 1000.0

    def dist(key: str) -> dict:
        return distribution([r[key] * ms for r in runs if r.get(key) is not None])

    return {
        "label": label,
        "runs": len(runs),
        "headers_ms": dist("headers_s") if "headers_s" in runs[0] else None,
        "start_line_ms": dist("start_line_s") if "start_line_s" in runs[0] else None,
        "first_chunk_ms": dist("first_chunk_s"),
        "gap_ms": distribution([g * ms for r in runs for g in r["gaps_s"]]),
        "chunks": sum(r["chunks"] for r in runs) / len(runs),
        "stream_ms": dist("stream_s") if "stream_s" in runs[0] else dist("total_s"),
    }


def run(*, smoke: bool = False, echo=print) -> dict:
    sizes = SMOKE if smoke else Sizes()
    with ExitStack() as stack:
        deployment = stack.enter_context(Deployment("ndjson"))
        # The baseline: the offline model's own timing for the same prompt, measured directly (bench.djsetup).
        deployment.setup(
            agents=0, extra=["--time-blueprint", QUERY, "--delay", str(sizes.delay), "--runs", str(sizes.model_runs)]
        )
        model = deployment.answer["blueprint_timing"]
        server = stack.enter_context(
            daphne("ndjson-daphne", env=deployment.env(ATELIER_OFFLINE_CHUNK_DELAY=str(sizes.delay)))
        )
        server.wait_ready()
        _request(server.port, deployment.api_token)  # warm-up: first import of every view, first DB connection
        sequential = [_request(server.port, deployment.api_token) for _ in range(sizes.sequential)]
        concurrent = _concurrently(server.port, deployment.api_token, sizes.concurrent)

    baseline = _summary("model (OfflineClient.stream)", model)
    rows = [
        baseline,
        _summary("server, one at a time", sequential),
        _summary(f"server, {sizes.concurrent} at once", concurrent),
    ]
    worst_first = max(r["first_chunk_ms"]["max"] for r in rows[1:])
    first_byte_p95 = max(r["headers_ms"]["p95"] for r in rows[1:])
    targets = [
        {
            "target": "first NDJSON byte <= 50 ms after the request is sent (p95, headers)",
            "figure": f"p95 {fmt(first_byte_p95, 2)} ms; first chunk line at worst {fmt(worst_first, 1)} ms "
            f"(model's own first chunk p50 {fmt(baseline['first_chunk_ms']['p50'], 2)} ms)",
            "met": first_byte_p95 <= 50,
            "ratio_to_raw": None,
        }
    ]
    for row in rows[1:]:
        row["added_first_chunk_ms"] = row["first_chunk_ms"]["p50"] - baseline["first_chunk_ms"]["p50"]
        row["added_gap_p99_ms"] = row["gap_ms"]["p99"] - baseline["gap_ms"]["p99"]
        row["gap_p99_ratio"] = ratio(row["gap_ms"]["p99"], baseline["gap_ms"]["p99"])
        row["stream_ratio"] = ratio(row["stream_ms"]["p50"], baseline["stream_ms"]["p50"])
    result = {"sizes": asdict(sizes), "smoke": smoke, "rows": rows, "targets": targets}
    path = write_result("ndjson", result)
    echo(render(result))
    echo(f"written to {path}")
    return result


def render(result: dict) -> str:
    columns = [
        "source",
        "runs",
        "first byte ms p50/p95",
        "start line ms p50",
        "first chunk ms p50/max",
        "chunk gap ms p50/p95/p99",
        "chunks",
        "stream ms p50",
        "added first-chunk ms",
        "gap p99 / model",
        "stream / model",
    ]
    body = []
    for r in result["rows"]:
        body.append(
            [
                r["label"],
                r["runs"],
                f"{fmt(r['headers_ms']['p50'], 2)} / {fmt(r['headers_ms']['p95'], 2)}" if r["headers_ms"] else "-",
                fmt(r["start_line_ms"]["p50"], 2) if r["start_line_ms"] else "-",
                f"{fmt(r['first_chunk_ms']['p50'], 2)} / {fmt(r['first_chunk_ms']['max'], 2)}",
                f"{fmt(r['gap_ms']['p50'], 2)} / {fmt(r['gap_ms']['p95'], 2)} / {fmt(r['gap_ms']['p99'], 2)}",
                fmt(r["chunks"], 0),
                fmt(r["stream_ms"]["p50"], 0),
                fmt(r.get("added_first_chunk_ms"), 2),
                fmt(r.get("gap_p99_ratio"), 2),
                fmt(r.get("stream_ratio"), 2),
            ]
        )
    delay_ms = result["sizes"]["delay"] * 1000
    text = table(
        f"NDJSON codegen stream vs. the model's own timing (offline model, {delay_ms:g} ms between chunks)",
        columns,
        body,
    )
    text += "\n" + table(
        "NDJSON targets",
        ["target", "figure", "met"],
        [[t["target"], t["figure"], "yes" if t["met"] else "NO"] for t in result["targets"]],
    )
    return text
