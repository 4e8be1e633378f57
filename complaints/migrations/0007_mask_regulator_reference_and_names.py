"""Mask personal numbers already stored in two free-text fields that intake did not mask
before: a complaint's regulator reference and a customer's name (``complaints.pii``).

Only rows that hold a digit are read, in id order and batches; a row is written only when
masking changes it. Rerunning is harmless (the mask is idempotent). Not reversible: the
clear values are gone by design.
"""

from django.db import migrations
from django.db.models import Q

from complaints.pii import mask_text

BATCH = 2_000
# ASCII/full-width digits, Chinese numerals and the letters of English number words: only
# rows that may hold a number are read at all.
_MAY_HOLD_NUMBER = "0123456789０１２３４５６７８９〇零洞一幺二两三四五六七拐八九勾"


def _candidates(field):
    q = Q()
    for ch in _MAY_HOLD_NUMBER:
        q |= Q(**{f"{field}__contains": ch})
    return q | Q(**{f"{field}__iregex": r"(zero|one|two|three|four|five|six|seven|eight|nine|oh)"})


def _mask_field(model, field, max_length, also=()):
    """Mask ``field`` of every row that may hold a number; ``also``: (name, function of the
    row) pairs for fields that follow the masked value."""
    fields = [field, *(name for name, _fn in also)]
    qs = model.objects.filter(_candidates(field)).order_by("pk").only("pk", *fields)
    changed = []
    for row in qs.iterator(chunk_size=BATCH):
        masked = mask_text(getattr(row, field))[:max_length]
        if masked != getattr(row, field):
            setattr(row, field, masked)
            for name, fn in also:
                setattr(row, name, fn(row))
            changed.append(row)
        if len(changed) >= BATCH:
            model.objects.bulk_update(changed, fields)
            changed = []
    if changed:
        model.objects.bulk_update(changed, fields)


def _surname(row):
    # The surname is the first character of the name (services.customers.surname_of); a
    # masked name starting with a digit or '*' has none (the title alone is shown: 先生).
    first = row.name.strip()[:1]
    return "" if not first or first.isdigit() or first == "*" else row.surname


def forwards(apps, schema_editor):
    _mask_field(apps.get_model("complaints", "Complaint"), "regulator_reference", 64)
    _mask_field(apps.get_model("complaints", "Customer"), "name", 50, also=[("surname", _surname)])


class Migration(migrations.Migration):
    dependencies = [("complaints", "0006_intake_search_grams_backfill")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
