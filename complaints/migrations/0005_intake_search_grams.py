"""Gram tokens for 1–2 character CJK search (see complaints.grams): the column.

Instant on PostgreSQL 11+ (a constant default is not written to every row). The
back-fill and the index follow in 0006, outside a transaction.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("complaints", "0004_intake_search_trgm")]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="search_grams",
            field=models.TextField(blank=True, default="", editable=False),
        ),
    ]
