"""The same run completes on the database and Celery task backends, executed by a real worker process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from agents import services
from agents.models import Agent, AgentStatus
from tests.support.agents import files_of, wait_for
from tests.support.services import SERVICE_URLS

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


@pytest.mark.redis
def test_run_completes_on_celery_backend_with_a_celery_worker_process(create_agent, settings):
    import redis

    from config.celery import app

    broker = SERVICE_URLS["redis"].rsplit("/", 1)[0] + "/10"  # a Redis db of this test's own
    redis.Redis.from_url(broker).flushdb()
    settings.TASKS = {"default": {"BACKEND": "agents.celerybackend.CeleryBackend"}}
    agent = create_agent("a quiz about planets")
    previous = app.conf.broker_url
    app.conf.broker_url = broker
    try:
        assert services.agent_start_generation(agent=agent)
    finally:
        app.conf.broker_url = previous
    agent.refresh_from_db()
    assert agent.status != AgentStatus.COMPLETE  # nothing ran in this process

    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "REDIS_URL": broker,
        "ATELIER_TASKS_BACKEND": "celery",
        "ATELIER_OFFLINE_CHUNK_DELAY": "0",
        "ATELIER_AUTO_DEPLOY_PREVIEW": "false",
        "ATELIER_WORKER_MAX_RUNS": "2",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "--without-gossip"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: Agent.objects.get(pk=agent.pk).status == AgentStatus.COMPLETE, timeout=120, interval=0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 0, output[-3000:]
    assert {"index.html", "styles.css", "app.js"} <= set(files_of(Agent.objects.get(pk=agent.pk)))
    assert "atelier.execute" in output and "succeeded" in output, output[-3000:]
