from django.apps import AppConfig


class PreviewsConfig(AppConfig):
    name = "previews"
    verbose_name = "Previews"

    def ready(self) -> None:
        from previews import signals  # noqa: F401 - deletes published folders with their rows
