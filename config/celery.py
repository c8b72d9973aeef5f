"""The Celery app of the workers (`ATELIER_TASKS_BACKEND=celery`): `celery -A config worker`.

Configured from the `CELERY_*` settings in config/settings.py (Redis broker, late acks, a thread pool of
`ATELIER_WORKER_MAX_RUNS` runs per worker process). The only task is agents.celerybackend's, which runs
Tasks API tasks; the web processes only send to it (docs/deploy.md).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("atelier", include=["agents.celerybackend"])
app.config_from_object("django.conf:settings", namespace="CELERY")
