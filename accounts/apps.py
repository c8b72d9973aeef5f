from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from config import safety  # noqa: F401 - registers the secret key check (it signs sessions)
