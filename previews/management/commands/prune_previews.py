"""Remove old and expired preview deployments with their published folders.

python manage.py prune_previews [--older-than 7d|12h|30m]
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from previews.services import deployments_prune

UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_age(value: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([dhm])", value.strip().lower())
    if match is None:
        raise CommandError(f"--older-than must look like 7d, 12h or 30m, not {value!r}.")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = "Delete preview deployments created before the cutoff or already expired, and their folders."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            default=None,
            help="Age like 7d, 12h or 30m (default: ATELIER_PREVIEW_TTL_DAYS days).",
        )

    def handle(self, *args, **options):
        age = parse_age(options["older_than"]) if options["older_than"] else timedelta(days=settings.PREVIEW_TTL_DAYS)
        removed = deployments_prune(cutoff=timezone.now() - age)
        self.stdout.write(f"Removed {removed} preview deployment{'' if removed == 1 else 's'}.")
