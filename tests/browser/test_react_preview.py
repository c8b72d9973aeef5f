"""A React (react-vite) app by the offline model, built in the sandbox, used in Chromium on its preview origin."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from agents import services
from previews.models import Deployment, DeploymentStatus
from tests.support.agents import generate

pytestmark = [pytest.mark.browser, pytest.mark.sandbox, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True, scope="module")
def _orm_beside_playwright():
    # Sync Playwright runs an event loop on this thread; the ORM calls here (and the database flush after
    # the test, hence the module scope) are plain synchronous ones.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture
def built_todo_app(user, settings, npm_cache, tmp_path):
    settings.NPM_CACHE_DIR = npm_cache
    settings.PREVIEW_ROOT = tmp_path / "previews"
    settings.AUTO_DEPLOY_PREVIEW = True
    agent = services.agent_create(owner=user, query="a todo list", template="react-vite")
    services.agent_generate_blueprint(agent=agent)
    generate(agent)
    return Deployment.objects.filter(agent=agent).order_by("-created_at").first()


def test_the_offline_react_todo_app_builds_and_works_in_its_preview(built_todo_app, live_server, browser):
    assert built_todo_app.status == DeploymentStatus.READY, built_todo_app.error
    port = urlparse(live_server.url).port
    origin = f"http://{built_todo_app.id}.preview.localhost:{port}"
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.route(re.compile(r"/favicon\.ico$"), lambda route: route.fulfill(status=204))

    response = page.goto(origin + "/")
    page.fill("#new-todo", "Buy milk")
    page.press("#new-todo", "Enter")
    page.fill("#new-todo", "Walk the dog")
    page.get_by_role("button", name="Add").click()
    page.get_by_role("checkbox", name="Buy milk").check()
    page.reload()

    expect(page.locator("#todo-list li label")).to_have_text(["Buy milk", "Walk the dog"])
    expect(page.locator("#todo-count")).to_have_text("1 task left")
    expect(page.locator("h1")).to_have_text("Todo List")
    assert "default-src 'self'" in response.headers["content-security-policy"]  # the static previews' headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert errors == []
    context.close()
