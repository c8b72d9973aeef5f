from django.apps import AppConfig


class ModelconfigConfig(AppConfig):
    name = "modelconfig"
    verbose_name = "Model configuration"

    def ready(self) -> None:
        from modelconfig import checks  # noqa: F401 - registers the system checks
