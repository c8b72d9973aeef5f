"""Atelier's benchmarks: event latency and fan-out, NDJSON streaming, pipeline throughput, memory.

Every benchmark runs its baseline in the same invocation, so the figure that matters is a ratio that
holds on any machine. Run `python -m bench all` (or `make bench`); see bench/README.md.
"""
