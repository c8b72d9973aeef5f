"""Prepare a fresh database for a benchmark: migrate, then one user with a session, an API token and apps.

Run by `bench.common.Deployment.setup` in the deployment's environment; answers one `@bench` JSON line.
With `--time-blueprint QUERY`, it also times the offline model's blueprint stream directly (the NDJSON
baseline), sparing the benchmark another Django start-up.
"""

from __future__ import annotations

import argparse
import time

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=1)
    parser.add_argument("--time-blueprint", metavar="QUERY")
    parser.add_argument("--delay", type=float, default=0.0, help="the offline model's pause between chunks")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from agents import services
    from bench.common import say

    call_command("migrate", verbosity=0, interactive=False)
    template = None
    if connection.vendor == "sqlite":
        # A migrated, empty copy that the next SQLite deployment of this run starts from.
        template = settings.DATA_DIR / "migrated.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(template)])
    user = User.objects.create_user(username="bench", password="bench-Passw0rd-not-secret")
    agents = [services.agent_create(owner=user, query=f"a todo list number {i}") for i in range(args.agents)]
    # A browser's session, stored in the database, so every process of the deployment accepts it.
    client = Client()
    client.force_login(user)
    token, _ = Token.objects.get_or_create(user=user)
    say(
        {
            "agents": [str(agent.pk) for agent in agents],
            "cookie": f"sessionid={client.cookies['sessionid'].value}",
            "token": token.key,
            "template": str(template) if template else None,
            "blueprint_timing": time_blueprint(query=args.time_blueprint, delay=args.delay, runs=args.runs)
            if args.time_blueprint
            else None,
        }
    )


def time_blueprint(*, query: str, delay: float, runs: int) -> list[dict]:
    """The offline model's own timing for the blueprint prompt the codegen view builds, measured directly."""
    from agents import catalog, prompts
    from agents.offline_model import OfflineClient
    from modelconfig.providers.base import ModelSettings

    results = []
    for _ in range(runs):
        start = time.perf_counter()
        messages = prompts.blueprint_messages(
            query=query, templates=[s.summary() for s in catalog.starters().values()], images=()
        )
        client = OfflineClient(
            action="blueprint", settings=ModelSettings(provider="offline", model="atelier-offline", chunk_delay=delay)
        )
        arrivals = [time.perf_counter() for _ in client.stream(messages)]
        results.append(
            {
                "first_chunk_s": arrivals[0] - start,
                "gaps_s": [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)],
                "total_s": arrivals[-1] - start,
                "chunks": len(arrivals),
            }
        )
    return results


if __name__ == "__main__":
    main()
