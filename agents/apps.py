from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents"

    def ready(self) -> None:
        from django.conf import settings

        from agents import signals  # noqa: F401 - deletes image files with their rows

        # The database file, uploads and exports live under DATA_DIR: made at startup, not when settings are read.
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
