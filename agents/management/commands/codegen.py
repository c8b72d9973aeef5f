"""`python manage.py codegen "a pomodoro timer" [--user NAME] [--template NAME] [--deploy] [--out DIR] [--port N]`

Runs the whole pipeline in the terminal: a spinner while the app and each phase are planned, each phase as
"Phase 2 of 3", the file being written with its size as it grows, then the files written into a folder
named after the app and (optionally) a preview deployment, with URLs that open (the server's port
included). Progress comes from the durable events and the saved drafts, as any other client sees them.
"""

from __future__ import annotations

import threading
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.markup import escape

from agents import catalog, lifecycle, pipeline, prompts, services
from agents.deployments import agent_deploy_preview
from agents.models import Agent, Event, File, Phase
from agents.selectors import agent_files
from modelconfig.selectors import model_info
from previews.models import DeploymentStatus
from previews.origins import app_preview_url, preview_url

DEFAULT_USER = "cli"
POLL_SECONDS = 0.2


def _size(count: int) -> str:
    return f"{count:,} bytes" if count < 10_000 else f"{count / 1024:,.1f} KiB"


def default_folder(*, name: str, parent: Path) -> Path:
    """`parent/<name>`, or `<name>-2`, `-3`… when that folder exists and is not empty (nothing is overwritten)."""
    base = prompts.slugify(name) or "app"
    candidate, number = parent / base, 1
    while candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        number += 1
        candidate = parent / f"{base}-{number}"
    return candidate


class Command(BaseCommand):
    help = "Generate an app from a description, in the terminal."

    def add_arguments(self, parser):
        parser.add_argument("query", help='What to build, e.g. "a pomodoro timer with stats"')
        parser.add_argument(
            "--user", default=DEFAULT_USER, help=f"Owner of the app (created if missing). Default: {DEFAULT_USER}"
        )
        parser.add_argument(
            "--template", help="The starter to build on (static-web, react-vite); default: the model chooses"
        )
        parser.add_argument("--deploy", action="store_true", help="Deploy a preview when generation completes")
        parser.add_argument("--out", help="Folder to write the files into (default: a new folder named after the app)")
        parser.add_argument(
            "--port", type=int, default=8000, help="Port of the Atelier server, for the URLs printed (default: 8000)"
        )

    def handle(self, *args, query, user, deploy, out, port=8000, template=None, **options):
        query = query.strip()
        if not query:
            raise CommandError("Describe the app you want.")
        if template and template not in catalog.offered():
            why = catalog.unavailable().get(template)
            known = ", ".join(catalog.offered())
            raise CommandError(f"The template {template!r} is not offered here: {why or f'choose one of {known}'}")
        if len(query) > services.MAX_QUERY_CHARS:
            raise CommandError(f"The description is longer than {services.MAX_QUERY_CHARS} characters.")
        self.console = Console(file=self.stdout, highlight=False, soft_wrap=True)
        owner, created = get_user_model().objects.get_or_create(username=user)
        if created:
            owner.set_unusable_password()
            owner.save()

        model = model_info(user=owner)
        badge = " (built-in offline model)" if model["provider"] == "offline" else ""
        self.console.print(f"Model: {model['provider']} / {escape(model['name'])}{badge}")
        agent = services.agent_create(owner=owner, query=query, template=template)
        self.console.print(f"Agent {agent.pk}")
        # Blueprint and phases in one run, here, as the task would do them.
        lifecycle.request_generation_here(agent_id=agent.pk)
        self._watch(agent)
        agent.refresh_from_db()
        if agent.blueprint is None:
            raise CommandError(f"Planning failed: {agent.error or agent.status}")
        if agent.status != "complete":
            raise CommandError(f"Generation ended {agent.status}: {agent.error or 'see the events'}")

        files = agent_files(agent=agent)
        size = sum(len(content.encode()) for content in files.values())
        self.console.print(f"[green]Done: {len(files)} files, {_size(size)}[/green]")
        folder = (
            Path(out).resolve()
            if out
            else default_folder(name=agent.blueprint.get("projectName") or agent.title, parent=Path.cwd())
        )
        for path, content in files.items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        self.console.print(f"Files written to {escape(str(folder))}")
        host = f"localhost:{port}"
        self.console.print(
            f"Open it in Atelier: http://{host}/apps/{agent.pk}/ (zip: http://{host}/api/agent/{agent.pk}/export)"
        )
        if deploy:
            deployment = agent_deploy_preview(agent=agent, request_host=host, in_worker=True)
            if deployment.status != DeploymentStatus.READY:
                raise CommandError(f"Preview deployment failed: {deployment.error}")
            self.console.print(f"[green]Preview: {preview_url(deployment_id=deployment.id, request_host=host)}[/green]")
            self.console.print(f"  always the latest version: {app_preview_url(agent_id=agent.pk, request_host=host)}")
            self.console.print(f"  (served by the Atelier server on port {port}: start it with `make run`)")
        if created or not owner.has_usable_password():
            self.console.print(
                f"The app belongs to the user '{escape(owner.username)}', who cannot log in yet: set a password with "
                f"`python manage.py changepassword {escape(owner.username)}`, or pass --user with your own user name."
            )

    def _watch(self, agent: Agent) -> None:
        """Run generation here; print each durable event as a line, and what is in flight beside a spinner."""
        seen = agent.last_seq
        result = {}
        worker = threading.Thread(target=lambda: result.setdefault("outcome", pipeline.run(agent_id=agent.pk)))
        worker.start()
        self.activity = "Planning the app…"
        with self.console.status(self.activity) as status:
            while True:
                worker.join(timeout=POLL_SECONDS)
                for event in Event.objects.filter(agent=agent, seq__gt=seen).order_by("seq"):
                    seen = event.seq
                    self._print_event(agent, event.type, event.payload)
                status.update(self._in_flight(agent))
                if not worker.is_alive():
                    break

    def _in_flight(self, agent: Agent) -> str:
        writing = File.objects.filter(agent=agent, generating=True).values_list("path", "draft").first()
        if writing is not None:
            path, draft = writing
            return f"Writing {escape(path)}… {_size(len(draft.encode()))}"
        return self.activity

    def _planned_phases(self, agent: Agent, index: int) -> int:
        agent.refresh_from_db(fields=["blueprint"])
        roadmap = (agent.blueprint or {}).get("implementationRoadmap") or []
        return max(len(roadmap), Phase.objects.filter(agent=agent).count(), index + 1)

    def _print_event(self, agent: Agent, type_: str, payload: dict) -> None:
        say = self.console.print
        if type_ == "phase_implementing":
            phase = payload["phase"]
            total = self._planned_phases(agent, phase["index"])
            say(f"[bold]Phase {phase['index'] + 1} of {total}:[/bold] {escape(phase['name'])}")
            self.activity = "Writing the phase…"
        elif type_ == "file_generated":
            file = payload["file"]
            say(f"  wrote {escape(file['filePath'])} ({_size(len(file['fileContents'].encode()))})")
        elif type_ == "phase_generating":
            self.activity = "Planning the next phase…"
        elif type_ == "blueprint_generated":
            blueprint = payload["blueprint"]
            title, description = str(blueprint["title"]), str(blueprint.get("description") or "")
            # The offline model's generic descriptions start with the title: do not say it twice.
            if description.lower().startswith(title.lower()):
                description = description[len(title) :].lstrip(" :.-—")
            say(f"[green]Blueprint: {escape(title)}[/green]" + (f": {escape(description)}" if description else ""))
            self.activity = "Starting…"
        elif type_ == "conversation_response" and not payload.get("isStreaming"):
            say(f"[cyan]{escape(payload.get('message', ''))}[/cyan]")
        elif type_ == "generation_warning":
            say(f"  [yellow]note:[/yellow] {escape(payload.get('message', ''))}")
        elif type_ == "generation_retrying":
            self.stderr.write(
                f"  {payload['reason']}: retrying in {payload['retryInSeconds']:g}s "
                f"(attempt {payload['attempt']}/{payload['maxAttempts']})"
            )
        elif type_ == "error":
            self.stderr.write(f"  error: {payload.get('error')}")
        elif type_ in ("generation_complete", "generation_stopped"):
            say(payload.get("message", type_))
