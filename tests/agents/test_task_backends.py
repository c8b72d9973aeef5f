"""The same run completes on the database task backend, executed by a real `db_worker` process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from agents import services
from agents.models import Agent, AgentStatus
from tests.support.agents import files_of

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def database_url_of_test_db() -> str:
    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    user = conf.get("USER") or "postgres"
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{conf.get('HOST') or '127.0.0.1'}:{conf.get('PORT') or 5432}/{conf['NAME']}"


def test_run_completes_on_database_backend_with_db_worker_process(create_agent, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    agent = create_agent("a quiz about planets")
    assert services.agent_start_generation(agent=agent)
    agent.refresh_from_db()
    assert agent.status != AgentStatus.COMPLETE  # nothing ran in this process

    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "ATELIER_TASKS_BACKEND": "database",
        "ATELIER_OFFLINE_CHUNK_DELAY": "0",
        "ATELIER_AUTO_DEPLOY_PREVIEW": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("REDIS_URL", None)
    worker = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--max-tasks",
            "1",
            "--interval",
            "0.1",
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-3000:]
    agent = Agent.objects.get(pk=agent.pk)
    assert agent.status == AgentStatus.COMPLETE, worker.stderr[-3000:]
    assert {"index.html", "styles.css", "app.js"} <= set(files_of(agent))
