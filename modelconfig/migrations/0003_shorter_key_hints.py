"""Stored key hints shortened to the last 4 characters (`sk-…abcd` → `…abcd`), as new ones are written."""

from django.db import migrations

MASK = "…"


def shorten_hints(apps, schema_editor):
    ProviderCredential = apps.get_model("modelconfig", "ProviderCredential")
    for credential in ProviderCredential.objects.filter(key_hint__contains=MASK).exclude(key_hint__startswith=MASK):
        credential.key_hint = MASK + credential.key_hint.split(MASK, 1)[1][-4:]
        credential.save(update_fields=["key_hint"])


class Migration(migrations.Migration):
    dependencies = [("modelconfig", "0002_context_window")]
    operations = [migrations.RunPython(shorten_hints, migrations.RunPython.noop)]
