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
    return subprocess.run(
        [sys.executable, *args, "-c", code] if code else [sys.executable, *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'cache': s.CACHES['default']['BACKEND'],"
    " 'db': s.DATABASES['default']['ENGINE']}))"
)


def test_embedded_default_uses_sqlite_memory_layer_and_local_cache(tmp_path):
    out = _run(SHOW, {"ATELIER_DATA_DIR": str(tmp_path), "DEBUG": "true"})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "layer": "agents.layers.EventsInMemoryChannelLayer",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "db": "django.db.backends.sqlite3",
    }


def test_redis_url_selects_redis_layer_and_cache_and_database_url_postgres(tmp_path):
    out = _run(
        SHOW,
        {
            "ATELIER_DATA_DIR": str(tmp_path),
            "DEBUG": "true",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        },
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "layer": "channels_redis.core.RedisChannelLayer",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "db": "django.db.backends.postgresql",
    }


START_SERVER = "import config.asgi"


def test_production_refuses_to_start_without_secret_key(tmp_path):
    out = _run(START_SERVER, {"ATELIER_DATA_DIR": str(tmp_path), "DEBUG": "false"})
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


PRODUCTION_KEY = "k7#Qp2!vX9@mLw4$Zr8^Tn6&Hy3*Bc5(Fd1)Gs0-Jq7+Ke2=Ua9"


def test_debug_is_off_unless_set(tmp_path):
    code = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG)"
    out = _run(code, {"ATELIER_DATA_DIR": str(tmp_path), "SECRET_KEY": PRODUCTION_KEY})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_production_refuses_a_published_secret_key(tmp_path):
    for key in (
        "django-insecure-atelier-development-key-do-not-use-in-production",
        "change-me-to-a-long-random-string",
    ):
        env = {"ATELIER_DATA_DIR": str(tmp_path), "DEBUG": "false", "SECRET_KEY": key}
        out = _run(START_SERVER, env)
        assert out.returncode != 0
        assert "SECRET_KEY must be set to your own random value" in out.stderr
        check = _run("", env, "manage.py", "check", "--deploy")
        assert check.returncode != 0
        assert "config.E001" in check.stderr


def test_management_commands_run_on_a_checkout_with_nothing_set(tmp_path):
    out = _run("", {"ATELIER_DATA_DIR": str(tmp_path)}, "manage.py", "makemigrations", "--check", "--dry-run")
    assert out.returncode == 0, out.stderr


def test_make_run_is_development_unless_debug_is_set():
    # A probe prerequisite of `run` sees what run exports; `+` runs it even under -n (nothing else runs).
    probe = ["make", "-n", "-s", "--eval", "run: debug-probe", "--eval", "debug-probe: ; +@echo DEBUG=$$DEBUG", "run"]
    base = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    for extra, expected in (({}, "DEBUG=true"), ({"DEBUG": "false"}, "DEBUG=false")):
        out = subprocess.run(probe, cwd=ROOT, env={**base, **extra}, capture_output=True, text=True, timeout=30)
        assert expected in out.stdout.splitlines(), out.stdout + out.stderr


SERVE_EVERY_PAGE = """
import json, re
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
from accounts.models import User
from agents.models import Agent

user = User.objects.create_user("ada", password="a-Strong-passw0rd")
agent = Agent.objects.create(owner=user, query="a todo list")
client = Client(HTTP_HOST="localhost")
statuses, assets = {}, set()
def visit(path):
    response = client.get(path, secure=True)
    statuses[path] = response.status_code
    if response.status_code == 200 and "html" in response["Content-Type"]:
        assets.update(re.findall(r'(?:src|href)="(/static/[^"?]+)', response.content.decode()))
for path in ("/accounts/login/", "/accounts/signup/", "/admin/login/", "/api-auth/login/"):
    visit(path)
client.force_login(user)
for path in ("/", "/apps/", f"/apps/{agent.pk}/", "/settings/", "/api/docs/"):
    visit(path)
for path in sorted(assets):
    statuses[path] = client.get(path, secure=True).status_code
print(json.dumps({"statuses": statuses, "assets": len(assets)}))
"""


def test_production_mode_serves_every_page_and_its_assets_without_collectstatic(tmp_path):
    out = _run(SERVE_EVERY_PAGE, {"ATELIER_DATA_DIR": str(tmp_path), "DEBUG": "false", "SECRET_KEY": PRODUCTION_KEY})
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["assets"] >= 3
    assert {path: status for path, status in result["statuses"].items() if status != 200} == {}
