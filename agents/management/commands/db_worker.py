"""django-tasks-db's db_worker, plus the agent lease sweep running beside it."""

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from agents.tasks import start_sweeper


class Command(DbWorkerCommand):
    def handle(self, *args, **options):
        start_sweeper()
        return super().handle(*args, **options)
