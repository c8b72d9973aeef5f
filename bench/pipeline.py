"""Pipeline throughput: generated MB/s and files/s through parser, events and database.

`agents.pipeline.run` on several apps with the offline model at zero delay (embedded default: SQLite,
in-memory layer), counting the database statements the running thread sends. Large files: the same apps
with every file padded by comment lines, so a file has many times more chunks; writes per file must not
follow. Baselines, same run and same text: the heredoc parser alone, and the offline model alone.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field

from bench.common import PROTOCOL_PREFIX, PYTHON, ROOT, BenchError, Deployment, fmt, ratio, table, write_result

QUERIES = [
    "a todo list with due dates",
    "a calculator",
    "an expense tracker in euros",
    "a quiz about space",
    "a notes app",
    "a pomodoro timer",
    "a tally counter",
    "a landing page for a bakery",
]
MB = 1_000_000


@dataclass(frozen=True)
class Sizes:
    queries: list[str] = field(default_factory=lambda: list(QUERIES))
    threads: int = 4  # as the embedded runner pool (ATELIER_RUNNER_THREADS)
    large_pad_kb: int = 64
    large_apps: int = 3


SMOKE = Sizes(queries=QUERIES[:1], threads=1, large_pad_kb=4, large_apps=1)


def _run(deployment: Deployment, plan: list[dict], *, profile: bool = False) -> list[dict]:
    argv = [PYTHON, "-m", "bench.pipeline_run", "--plan", json.dumps(plan)]
    if profile:
        from bench.profile import output_path, py_spy

        argv = [
            py_spy(),
            "record",
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(output_path("pipeline")),
            "--",
            *argv,
        ]
    out = subprocess.run(
        argv,
        cwd=ROOT,
        env=deployment.env(ATELIER_OFFLINE_CHUNK_DELAY="0"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line[len(PROTOCOL_PREFIX) :] for line in out.stdout.splitlines() if line.startswith(PROTOCOL_PREFIX)]
    answer = json.loads(lines[-1]) if lines else None
    if out.returncode != 0 or answer is None or "error" in answer:
        detail = answer["error"] if answer and "error" in answer else out.stderr[-3000:]
        raise BenchError(f"pipeline run failed: {detail}")
    return answer["runs"]


def _row(label: str, run: dict) -> dict:
    files = run["files"] or 1
    by_where: dict[str, int] = {}
    writes = 0
    for where, verb, n in run["statements"]:
        if verb in ("INSERT", "UPDATE", "DELETE"):
            writes += n
            by_where[where] = by_where.get(where, 0) + n
    selects = sum(n for _, verb, n in run["statements"] if verb == "SELECT")
    return {
        "label": label,
        "apps": run["apps"],
        "threads": run["threads"],
        "pad_kb": run["pad_kb"],
        "elapsed_s": run["elapsed_s"],
        "output_mb": run["output_bytes"] / MB,
        "file_mb": run["file_bytes"] / MB,
        "mb_per_s": run["output_bytes"] / MB / run["elapsed_s"],
        # The offline model's own time (producing chunks) taken out: what parser, events and database sustain.
        "model_in_run_s": run["model_in_run_s"],
        "mb_per_s_excl_model": (
            run["output_bytes"] / MB / (run["elapsed_s"] - run["model_in_run_s"])
            if run["threads"] == 1 and run["elapsed_s"] > run["model_in_run_s"]
            else None
        ),
        "files": run["files"],
        "files_per_s": run["files"] / run["elapsed_s"],
        "avg_file_kb": run["file_bytes"] / files / 1000,
        "chunks_per_file": run["chunk_callbacks"] / files,
        "writes_per_file": writes / files,
        "chunk_writes_per_file": by_where.get("on_chunk", 0) / files,
        "file_callback_writes_per_file": sum(by_where.get(k, 0) for k in ("on_open", "on_chunk", "on_close")) / files,
        "selects_per_file": selects / files,
        "writes_by_where": by_where,
        "parser_mb_per_s": run["output_bytes"] / MB / run["parser_elapsed_s"],
        "model_mb_per_s": run["output_bytes"] / MB / run["model_elapsed_s"],
        "statements": run["statements"],
    }


def run(*, smoke: bool = False, profile: bool = False, echo=print) -> dict:
    sizes = SMOKE if smoke else Sizes()
    with Deployment("pipeline") as deployment:
        deployment.setup(agents=0)
        plan = [{"label": "small files, one at a time", "queries": sizes.queries, "threads": 1, "pad_kb": 0}]
        if sizes.threads > 1:
            plan.append(
                {
                    "label": f"small files, {sizes.threads} runs at once",
                    "queries": sizes.queries,
                    "threads": sizes.threads,
                    "pad_kb": 0,
                }
            )
        plan.append(
            {
                "label": f"large files (+{sizes.large_pad_kb} KiB each), one at a time",
                "queries": sizes.queries[: sizes.large_apps],
                "threads": 1,
                "pad_kb": sizes.large_pad_kb,
            }
        )
        runs = _run(deployment, plan, profile=profile)
        rows = [_row(item["label"], run) for item, run in zip(plan, runs, strict=True)]
    if profile:
        from bench import profile as profiling

        # Start-up (imports) left out: only what the runs themselves cost.
        summary = profiling.summarise(profiling.output_path("pipeline"), focus="_run_locked (agents/pipeline.py")
        profiling.output_path("pipeline.top").write_text(profiling.render(summary))
        echo(profiling.render(summary))
    small, large = rows[0], rows[-1]
    targets = [
        {
            "target": ">= 5 MB/s through parser, events and database (offline model's own time excluded)",
            "figure": f"{fmt(small['mb_per_s_excl_model'], 2)} MB/s small files, "
            f"{fmt(large['mb_per_s_excl_model'], 2)} MB/s large; end to end with the offline model "
            f"{fmt(small['mb_per_s'], 2)} / {fmt(large['mb_per_s'], 2)} MB/s",
            "met": min(small["mb_per_s_excl_model"] or 0, large["mb_per_s_excl_model"] or 0) >= 5,
            "ratio_to_raw": ratio(small["mb_per_s_excl_model"], small["parser_mb_per_s"]),
        },
        {
            "target": "database writes per file do not grow with chunks per file",
            "figure": f"{fmt(small['writes_per_file'], 1)} writes/file at {fmt(small['chunks_per_file'], 0)} "
            f"chunks/file; {fmt(large['writes_per_file'], 1)} at {fmt(large['chunks_per_file'], 0)}",
            "met": large["file_callback_writes_per_file"] <= small["file_callback_writes_per_file"] * 1.5 + 1,
            "ratio_to_raw": ratio(large["writes_per_file"], small["writes_per_file"]),
        },
    ]
    result = {"sizes": asdict(sizes), "smoke": smoke, "rows": rows, "targets": targets}
    path = write_result("pipeline", result)
    echo(render(result))
    echo(f"written to {path}")
    return result


def render(result: dict) -> str:
    columns = [
        "run",
        "apps",
        "files",
        "avg file KB",
        "MB out",
        "s",
        "MB/s",
        "files/s",
        "MB/s excl. model",
        "parser alone MB/s",
        "excl. model / parser",
        "model alone MB/s",
        "chunks/file",
        "writes/file",
        "of which in on_chunk",
        "SELECTs/file",
    ]
    body = [
        [
            r["label"],
            r["apps"],
            r["files"],
            fmt(r["avg_file_kb"], 1),
            fmt(r["output_mb"], 2),
            fmt(r["elapsed_s"], 2),
            fmt(r["mb_per_s"], 2),
            fmt(r["files_per_s"], 1),
            fmt(r["mb_per_s_excl_model"], 2),
            fmt(r["parser_mb_per_s"], 1),
            fmt(ratio(r["mb_per_s_excl_model"], r["parser_mb_per_s"]), 3),
            fmt(r["model_mb_per_s"], 1),
            fmt(r["chunks_per_file"], 0),
            fmt(r["writes_per_file"], 1),
            fmt(r["chunk_writes_per_file"], 2),
            fmt(r["selects_per_file"], 1),
        ]
        for r in result["rows"]
    ]
    text = table("Pipeline throughput (offline model, zero delay, SQLite, in-memory layer)", columns, body)
    text += "\n" + table(
        "Pipeline targets",
        ["target", "figure", "ratio", "met"],
        [[t["target"], t["figure"], fmt(t["ratio_to_raw"], 3), "yes" if t["met"] else "NO"] for t in result["targets"]],
    )
    return text
