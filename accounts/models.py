"""Atelier's own user model, in place from the first migration so it can grow without pain."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    class Meta:
        db_table = "accounts_user"
