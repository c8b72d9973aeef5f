"""Database connections of long-running work (agent runs, the run watcher) with a connection pool.

A run thread talks to the database in short bursts between model deltas and waits on the model the rest of
the time. With `ATELIER_DB_POOL_SIZE` set (PostgreSQL), it gives its connection back to the process's pool
while it waits, so a worker with 100 runs needs a handful of connections instead of one per run.
"""

from django.db import connection


def pooled() -> bool:
    return bool(connection.settings_dict.get("OPTIONS", {}).get("pool"))


def release_idle_connection() -> None:
    """Give this thread's connection back to the pool, unless inside a transaction (or not pooled)."""
    if pooled() and connection.connection is not None and not connection.in_atomic_block:
        connection.close()
