"""`python -m bench {latency,ndjson,pipeline,memory,build,capacity,all} [--smoke]`: run benchmarks, print tables.

`build` (react-vite preview builds in the sandbox) needs node, npm, bwrap and the npm registry: not in `all`.
`capacity` (bench/capacity.py) takes several minutes at a real model's pace: not in `all` either.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.common import BenchError, raise_nofile_limit

BENCHMARKS = ("latency", "ndjson", "pipeline", "memory")


def run_one(name: str, *, smoke: bool, profile: bool) -> dict:
    if name == "latency":
        from bench import latency

        return latency.run(smoke=smoke, profile=profile)
    if name == "ndjson":
        from bench import ndjson

        return ndjson.run(smoke=smoke)
    if name == "build":
        from bench import build

        return build.run(smoke=smoke)
    if name == "capacity":
        from bench import capacity

        if smoke:
            return capacity.run(runs=4, hold=10, db_workers=1, cps=2000, first=0.1)
        return capacity.run()
    if name == "pipeline":
        from bench import pipeline

        return pipeline.run(smoke=smoke, profile=profile)
    from bench import memory

    return memory.run(smoke=smoke)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("benchmark", choices=[*BENCHMARKS, "build", "capacity", "all"])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that it runs, measures nothing")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the servers (latency) and the run (pipeline) with py-spy under the heaviest load",
    )
    args = parser.parse_args(argv)
    raise_nofile_limit()
    names = BENCHMARKS if args.benchmark == "all" else (args.benchmark,)
    failed = []
    start = time.perf_counter()
    for name in names:
        print(f"== {name}{' (smoke)' if args.smoke else ''}", flush=True)
        began = time.perf_counter()
        try:
            run_one(name, smoke=args.smoke, profile=args.profile)
        except BenchError as exc:
            print(f"!! {name} failed: {exc}", file=sys.stderr, flush=True)
            failed.append(name)
        print(f"== {name} took {time.perf_counter() - began:.0f} s", flush=True)
    print(f"== all done in {time.perf_counter() - start:.0f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
