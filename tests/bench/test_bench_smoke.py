"""Each benchmark runs end to end at tiny sizes (`--smoke`), so the benchmarks do not rot.

The figures of a smoke run mean nothing; what is checked is that every part starts, measures and writes
its JSON. Results go to a temporary folder, never over bench/results.
"""

import json

import pytest

from bench import latency, memory, ndjson, pipeline

pytestmark = [pytest.mark.timeout(120)]


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(tmp_path))
    return tmp_path


def _written(tmp_path, name: str) -> dict:
    return json.loads((tmp_path / "smoke" / f"{name}.json").read_text())


def test_latency_smoke_delivers_every_event_through_raw_and_embedded_servers(tmp_path):
    result = latency.run(smoke=True, configs=("raw", "embedded"), echo=lambda *_: None)
    assert {row["config"] for row in result["rows"]} == {"raw", "embedded"}
    for row in result["rows"]:
        assert row["lost"] == 0 and row["received"] == row["expected"] > 0
        assert row["latency_ms"]["p99"] is not None
    assert _written(tmp_path, "latency")["rows"]


@pytest.mark.redis
@pytest.mark.postgres
def test_latency_smoke_delivers_every_event_through_redis_and_two_daphnes(tmp_path):
    result = latency.run(smoke=True, configs=("redis",), echo=lambda *_: None)
    assert not result["skipped"], result["skipped"]
    assert [row["lost"] for row in result["rows"]] == [0, 0]


def test_ndjson_smoke_times_the_stream_and_the_model(tmp_path):
    result = ndjson.run(smoke=True, echo=lambda *_: None)
    model, sequential, concurrent = result["rows"]
    # The run coalesces blueprint deltas (one chunk line per ~50 ms at most), as it does file chunks.
    assert 0 < sequential["chunks"] <= model["chunks"] and 0 < concurrent["chunks"] <= model["chunks"]
    assert sequential["headers_ms"]["p50"] > 0
    assert _written(tmp_path, "ndjson")["targets"]


def test_pipeline_smoke_counts_files_bytes_and_writes(tmp_path):
    result = pipeline.run(smoke=True, echo=lambda *_: None)
    for row in result["rows"]:
        assert row["files"] > 0 and row["output_mb"] > 0 and row["writes_per_file"] > 0
    small, large = result["rows"][0], result["rows"][-1]
    assert large["avg_file_kb"] > small["avg_file_kb"]
    assert _written(tmp_path, "pipeline")["rows"]


def test_memory_smoke_holds_idle_sockets_on_both_servers(tmp_path):
    result = memory.run(smoke=True, echo=lambda *_: None)
    for server in result["servers"]:
        assert [step["sockets"] for step in server["steps"]] == [0, *memory.SMOKE.counts]
        assert all(step["rss_mib"] > 0 for step in server["steps"])
    assert _written(tmp_path, "memory")["servers"]


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.timeout(600)
def test_build_smoke_builds_cold_and_cached_and_measures_the_sandbox(tmp_path):
    from bench import build

    result = build.run(smoke=True, echo=lambda *_: None)
    assert result["first"]["download_s"] > 0 and result["cached"]["build_s"] > 0
    assert result["overhead_ratio"] is not None
    assert _written(tmp_path, "build")["baseline"]
