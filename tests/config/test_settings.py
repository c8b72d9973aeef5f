"""Settings come from the environment; checked in fresh interpreters so nothing leaks between cases."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}}
    base.update({"DJANGO_SETTINGS_MODULE": "config.settings", "ATELIER_TESTING": "0", **env})
    return subprocess.run([sys.executable, *args, "-c", code] if code else [sys.executable, *args],
                          cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)


SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'cache': s.CACHES['default']['BACKEND'],"
    " 'db': s.DATABASES['default']['ENGINE']}))"
)


def test_embedded_default_uses_sqlite_memory_layer_and_local_cache(tmp_path):
    out = _run(SHOW, {"ATELIER_DATA_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "layer": "channels.layers.InMemoryChannelLayer",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "db": "django.db.backends.sqlite3",
    }


def test_redis_url_selects_redis_layer_and_cache_and_database_url_postgres(tmp_path):
    out = _run(SHOW, {
        "ATELIER_DATA_DIR": str(tmp_path),
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    })
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "layer": "channels_redis.core.RedisChannelLayer",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "db": "django.db.backends.postgresql",
    }


def test_production_refuses_to_start_without_secret_key(tmp_path):
    out = _run(SHOW, {"ATELIER_DATA_DIR": str(tmp_path), "DEBUG": "false"})
    assert out.returncode != 0
    assert "SECRET_KEY must be set" in out.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        "ATELIER_DATA_DIR": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": "k7#Qp2!vX9@mLw4$Zr8^Tn6&Hy3*Bc5(Fd1)Gs0-Jq7+Ke2=Ua9",
        "ALLOWED_HOSTS": "atelier.example.com",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "ATELIER_FERNET_KEY": "3vq8E2qk1n1m9m3w6kLQy0x9WgJmI8xw4Ck1x2yZp1A=",
    }
    out = _run("", env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
