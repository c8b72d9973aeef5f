"""`python manage.py codegen "a pomodoro timer" [--user NAME] [--template NAME] [--deploy] [--out DIR]`

Runs the whole pipeline in the terminal: blueprint, then phase after phase with the files as they are
written, then (optionally) a preview deployment. Prints where the files are.
"""

from __future__ import annotations

import threading
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agents import catalog, lifecycle, pipeline, services
from agents.deployments import agent_deploy_preview
from agents.models import Agent, Event, Phase
from agents.selectors import agent_files
from modelconfig.selectors import model_info
from previews.models import DeploymentStatus
from previews.origins import preview_url


class Command(BaseCommand):
    help = "Generate an app from a description, in the terminal."

    def add_arguments(self, parser):
        parser.add_argument("query", help='What to build, e.g. "a pomodoro timer with stats"')
        parser.add_argument("--user", default="cli", help="Owner of the app (created if missing). Default: cli")
        parser.add_argument(
            "--template", help="The starter to build on (static-web, react-vite); default: the model chooses"
        )
        parser.add_argument("--deploy", action="store_true", help="Deploy a preview when generation completes")
        parser.add_argument("--out", help="Also write the files into this folder")

    def handle(self, *args, query, user, deploy, out, template=None, **options):
        query = query.strip()
        if not query:
            raise CommandError("Describe the app you want.")
        if template and template not in catalog.offered():
            why = catalog.unavailable().get(template)
            known = ", ".join(catalog.offered())
            raise CommandError(f"The template {template!r} is not offered here: {why or f'choose one of {known}'}")
        if len(query) > services.MAX_QUERY_CHARS:
            raise CommandError(f"The description is longer than {services.MAX_QUERY_CHARS} characters.")
        owner, created = get_user_model().objects.get_or_create(username=user)
        if created:
            owner.set_unusable_password()
            owner.save()

        model = model_info(user=owner)
        badge = " (built-in offline model)" if model["provider"] == "offline" else ""
        self.stdout.write(f"Model: {model['provider']} / {model['name']}{badge}")
        agent = services.agent_create(owner=owner, query=query, template=template)
        self.stdout.write(f"Agent {agent.pk}: planning")
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
        self.stdout.write(self.style.SUCCESS(f"Done: {len(files)} files, {size:,} bytes"))
        self.stdout.write(f"Files: GET /api/agent/{agent.pk}/files/<path>, zip: GET /api/agent/{agent.pk}/export")
        if out:
            folder = Path(out).resolve()
            for path, content in files.items():
                target = folder / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content)
            self.stdout.write(f"Written to {folder}")
        if deploy:
            deployment = agent_deploy_preview(agent=agent, in_worker=True)
            if deployment.status == DeploymentStatus.READY:
                self.stdout.write(self.style.SUCCESS(f"Preview: {preview_url(deployment_id=deployment.id)}"))
            else:
                raise CommandError(f"Preview deployment failed: {deployment.error}")

    def _watch(self, agent: Agent) -> None:
        """Run generation here, printing each durable event as a progress line."""
        seen = agent.last_seq

        result = {}
        worker = threading.Thread(target=lambda: result.setdefault("outcome", pipeline.run(agent_id=agent.pk)))
        worker.start()
        while True:
            worker.join(timeout=0.2)
            for event in Event.objects.filter(agent=agent, seq__gt=seen).order_by("seq"):
                seen = event.seq
                self._print_event(agent, event.type, event.payload)
            if not worker.is_alive():
                break

    def _print_event(self, agent: Agent, type_: str, payload: dict) -> None:
        total = Phase.objects.filter(agent=agent).count()
        if type_ == "phase_implementing":
            phase = payload["phase"]
            self.stdout.write(f"Phase {phase['index'] + 1}/{max(total, phase['index'] + 1)}: {phase['name']}")
        elif type_ == "file_generated":
            file = payload["file"]
            self.stdout.write(f"  wrote {file['filePath']} ({len(file['fileContents']):,} bytes)")
        elif type_ == "phase_generating":
            self.stdout.write("Planning the next phase…")
        elif type_ == "blueprint_generated":
            blueprint = payload["blueprint"]
            self.stdout.write(self.style.SUCCESS(f"Blueprint: {blueprint['title']}: {blueprint['description']}"))
        elif type_ == "generation_retrying":
            self.stderr.write(
                f"  {payload['reason']}: retrying in {payload['retryInSeconds']:g}s "
                f"(attempt {payload['attempt']}/{payload['maxAttempts']})"
            )
        elif type_ == "error":
            self.stderr.write(f"  error: {payload.get('error')}")
        elif type_ in ("generation_complete", "generation_stopped"):
            self.stdout.write(payload.get("message", type_))
