"""Framework apps (react-vite): offered only with the toolchain, planned on the template, packages refused
outside the allow-list, build errors fed to a fix, export as a project that runs."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import Client

from agents import catalog, packages, pipeline, services, versions
from agents.models import Agent, AgentStatus, Event, File, Message, MessageRole
from modelconfig.providers.base import CancelToken
from previews.toolchain import toolchain
from tests.agents import misbehaving
from tests.support.agents import files_of, generate, wait_for

pytestmark = pytest.mark.django_db

REACT = "react-vite"


@pytest.fixture
def no_bubblewrap(settings):
    settings.BWRAP_BINARY = "/nonexistent/bwrap"
    toolchain.cache_clear()
    yield
    toolchain.cache_clear()


@pytest.fixture
def no_auto_build(settings):
    settings.AUTO_DEPLOY_PREVIEW = False  # no build at the end of a run: these tests are about what it writes


@pytest.fixture
def shared_cache(settings, npm_cache, tmp_path):
    settings.NPM_CACHE_DIR = npm_cache
    settings.PREVIEW_ROOT = tmp_path / "previews"
    return npm_cache


def react_agent(user, query: str = "a todo list"):
    agent = services.agent_create(owner=user, query=query, template=REACT)
    services.agent_generate_blueprint(agent=agent)
    agent.refresh_from_db()
    return agent


def warnings_of(agent) -> list[dict]:
    return list(Event.objects.filter(agent=agent, type="generation_warning").values_list("payload", flat=True))


# -- availability ---------------------------------------------------------------------------------------


def test_without_bubblewrap_react_vite_is_not_offered(no_bubblewrap, user):
    assert REACT not in catalog.offered()
    assert "bubblewrap was not found" in catalog.unavailable()[REACT]

    agent = services.agent_create(owner=user, query="a todo list in react")
    services.agent_generate_blueprint(agent=agent)
    agent.refresh_from_db()

    assert agent.template_name == "static-web"  # "react" in the request, but the template is not there


def test_without_bubblewrap_health_settings_api_and_cli_say_why(no_bubblewrap, user, api_client):
    health = Client().get("/healthz").json()
    assert health["framework_apps"] == "unavailable"
    assert "bubblewrap" in health["framework_apps_reason"]

    client = Client()
    client.force_login(user)
    page = client.get("/settings/").content.decode()
    assert "React apps (react-vite) are not offered on this server" in page
    assert "apt-get install nodejs npm bubblewrap" in page

    response = api_client.post("/api/agent/codegen", {"query": "a todo list", "template": REACT}, format="json")
    assert response.status_code == 400
    assert "bubblewrap was not found" in response.json()["error"]["message"]

    with pytest.raises(CommandError, match="not offered here: bubblewrap was not found"):
        call_command("codegen", "a todo list", "--template", REACT)


@pytest.mark.sandbox
def test_with_the_toolchain_health_says_framework_apps_are_ok():
    assert Client().get("/healthz").json()["framework_apps"] == "ok"


# -- planning and writing -------------------------------------------------------------------------------


@pytest.mark.sandbox
def test_the_offline_model_writes_a_react_todo_app_on_the_template(user, no_auto_build):
    agent = react_agent(user)

    assert agent.template_name == REACT
    assert agent.blueprint["template"] == REACT
    generate(agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    files = files_of(agent)
    starter = catalog.starters()[REACT].files
    for path in ("package.json", "package-lock.json", "vite.config.ts", "src/main.tsx"):
        assert files[path] == starter[path]
    assert "<TodoItem" in files["src/App.tsx"]
    assert "export default function TodoItem" in files["src/components/TodoItem.tsx"]
    assert "<title>Todo List</title>" in files["index.html"]
    assert "npm ci" in files["README.md"]
    assert not {"app.js", "styles.css"} & set(files)


@pytest.mark.sandbox
def test_a_follow_up_on_a_react_app_changes_its_stylesheet(user, no_auto_build):
    agent = react_agent(user)
    generate(agent)
    Message.objects.create(agent=agent, role=MessageRole.USER, text="make it dark", pending=True)
    Agent.objects.filter(pk=agent.pk).update(phase_budget=F("phase_budget") + 2)
    generate(agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    assert "atelier:dark-mode" in files_of(agent)["src/index.css"]
    assert "styles.css" not in files_of(agent)


@pytest.mark.sandbox
def test_the_offline_model_writes_a_react_counter(user, no_auto_build):
    agent = react_agent(user, "a simple counter")
    generate(agent)

    assert "const COUNTER_KEY" in files_of(agent)["src/App.tsx"]


@pytest.mark.sandbox
def test_prompts_carry_the_template_rules_and_never_the_lockfile(use_model, user, no_auto_build):
    server = use_model("openai", lambda body: misbehaving.verbatim(misbehaving.meant(body)))
    generate(react_agent(user))

    implementation = [r for r in server.requests if misbehaving.action_of(r.json) == "phase_implementation"][0]
    system, prompt = (m["content"] for m in implementation.json["messages"][:2])
    assert "React 18 + TypeScript" in system and "recharts" in system
    assert "No frameworks, no build step" not in system
    assert 'path="package.json"' in prompt
    assert "package-lock.json" not in prompt.replace("package-lock.json is written for you", "")


# -- packages -------------------------------------------------------------------------------------------


def test_the_allow_list_refuses_other_packages_and_names_the_allowed_ones():
    manifest = json.loads(catalog.starters()[REACT].files["package.json"])
    manifest["dependencies"].update({"recharts": "2.15.3", "left-pad": "1.3.0"})

    problems = packages.policy_problems(files={"package.json": json.dumps(manifest)}, template=REACT)

    assert [(p.code, p.file) for p in problems] == [("PACKAGE_NOT_ALLOWED", "package.json")]
    assert "depends on left-pad, which is not allowed here" in problems[0].message
    assert "recharts" in problems[0].message.split("allowed packages:")[1]


@pytest.mark.sandbox
def test_a_package_outside_the_allow_list_is_refused_and_the_model_asked_to_remove_it(use_model, user, no_auto_build):
    server = use_model("openai", misbehaving.adds_a_package("left-pad", "1.3.0", fixed_on_retry=True))

    agent = react_agent(user)
    generate(agent)

    assert agent.status == AgentStatus.COMPLETE, agent.error
    retries = [r for r in server.requests if misbehaving.action_of(r.json) == "file_regeneration"]
    asked = retries[0].json["messages"][-1]["content"]
    assert re.search(r'<files_to_write>\s*\[\s*"package.json"\s*\]', asked)
    assert "package.json depends on left-pad, which is not allowed here" in asked
    assert "left-pad" not in files_of(agent)["package.json"]
    assert agent.problems == []
    assert "CHECK_FAILED" in {w["code"] for w in warnings_of(agent)}


@pytest.mark.sandbox
def test_a_package_still_there_after_its_retry_completes_with_problems(use_model, user, no_auto_build):
    use_model("openai", misbehaving.adds_a_package("left-pad", "1.3.0", fixed_on_retry=False))

    agent = react_agent(user)
    generate(agent)

    assert agent.status == AgentStatus.COMPLETE
    assert [(p["code"], p["file"]) for p in agent.problems] == [("PACKAGE_NOT_ALLOWED", "package.json")]


@pytest.mark.sandbox
def test_an_allowed_package_is_resolved_into_the_lockfile_outside_the_sandbox(
    use_model, user, shared_cache, no_auto_build
):
    use_model("openai", misbehaving.adds_a_package("clsx", "2.1.1", fixed_on_retry=False))

    agent = react_agent(user)
    generate(agent)

    assert agent.problems == []
    lock = json.loads(files_of(agent)["package-lock.json"])
    assert lock["packages"][""]["dependencies"]["clsx"] == "2.1.1"
    assert lock["packages"]["node_modules/clsx"]["resolved"].startswith("https://registry.npmjs.org/clsx/")
    # The resolved lock is part of the app's history (the versions replaced FileVersion rows).
    assert (
        versions.version_files(versions.head(agent=agent))["package-lock.json"] == files_of(agent)["package-lock.json"]
    )


# -- builds ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_deploy_asked_over_http_is_built_by_a_task_never_in_the_request(user, api_client, settings, tmp_path):
    settings.PREVIEW_ROOT = tmp_path / "previews"
    agent = services.agent_create(owner=user, query="a todo list", template=REACT)
    for path, content in catalog.starters()[REACT].files.items():
        File.objects.create(agent=agent, path=path, content=content, sha256=File.digest(content))
    settings.BWRAP_BINARY = "/nonexistent/bwrap"  # the task's build fails at once, and says why
    toolchain.cache_clear()
    try:
        response = api_client.post(f"/api/agent/{agent.pk}/deploy-preview")
        assert response.status_code == 202
        assert response.json()["data"]["status"] == "building"
        again = api_client.post(f"/api/agent/{agent.pk}/deploy-preview")  # asked twice: built once
        assert again.json()["data"]["deploymentId"] == response.json()["data"]["deploymentId"]

        failed = wait_for(lambda: Event.objects.filter(agent=agent, type="deployment_failed").first())
    finally:
        toolchain.cache_clear()
    assert "cannot build framework apps: bubblewrap was not found" in failed.payload["error"]
    assert Event.objects.filter(agent=agent, type="deployment_started").count() == 1


def test_build_errors_name_the_files_to_fix():
    files = {"src/App.tsx": "", "src/components/List.tsx": "", "package-lock.json": ""}
    error = (
        "Building failed (exit status 1).\n[vite:esbuild] Transform failed with 1 error:\n"
        '/app/src/components/List.tsx:3:9: ERROR: Expected ";" but found "x"\n'
        'Could not resolve "./Missing" from "src/App.tsx"'
    )

    assert pipeline.build_error_files(error, files) == ["src/components/List.tsx", "src/App.tsx"]
    assert pipeline.build_error_files("Building failed.", files) == ["src/App.tsx"]


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_build_error_leads_to_a_fix_and_a_working_preview(user, shared_cache, no_auto_build, settings):
    agent = react_agent(user)
    generate(agent)
    broken = files_of(agent)["src/App.tsx"].replace("return (", "return (\n    <div>", 1)
    File.objects.filter(agent=agent, path="src/App.tsx").update(content=broken, sha256=File.digest(broken))

    problems = pipeline._build_and_fix(agent=agent, cancel=CancelToken())

    assert problems == []
    types = list(Event.objects.filter(agent=agent).order_by("seq").values_list("type", flat=True))
    assert types.index("deployment_failed") < types.index("deployment_completed")
    fix = [w for w in warnings_of(agent) if w["code"] == "BUILD_FAILED"]
    assert fix and fix[0]["filePath"] == "src/App.tsx" and "fix 1 of 2" in fix[0]["message"]
    assert "<div>" not in files_of(agent)["src/App.tsx"]


@pytest.mark.slow
@pytest.mark.sandbox
def test_the_export_of_a_react_app_runs_with_npm_ci_and_npm_run_dev(
    user, api_client, no_auto_build, shared_cache, tmp_path
):
    agent = react_agent(user)
    generate(agent)

    response = api_client.get(f"/api/agent/{agent.pk}/export")
    project = tmp_path / "project"
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(project)
    if not (project / "package.json").exists():  # the zip may hold one folder named for the app
        project = next(p.parent for p in project.rglob("package.json") if "node_modules" not in p.parts)
    env = {**os.environ, "npm_config_cache": str(shared_cache)}
    subprocess.run(["npm", "ci", "--offline", "--no-audit", "--no-fund"], cwd=project, env=env, check=True, timeout=300)
    port = 5173 + os.getpid() % 700
    dev = subprocess.Popen(
        ["npm", "run", "dev", "--", "--port", str(port), "--strictPort", "--host", "127.0.0.1"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        page = _wait_for_page(f"http://127.0.0.1:{port}/")
        module = urllib.request.urlopen(f"http://127.0.0.1:{port}/src/App.tsx", timeout=30).read().decode()
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        dev.wait(timeout=30)
    assert '<script type="module" src="/src/main.tsx">' in page
    assert "TodoItem" in module  # Vite served the TypeScript, compiled


def _wait_for_page(url: str) -> str:
    deadline = time.monotonic() + 120
    while True:
        try:
            return urllib.request.urlopen(url, timeout=5).read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
