"""The daily rollup's (day, org) index becomes a covering one: the reads by a range of days (the
rising model's cut weeks, the TOP page's channel panel) group and sum only columns of the index,
so PostgreSQL reads them from it (index-only scan) instead of the wide rows. It still serves
every read the (day, org) index served (same leading columns)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0006_hot_term_counts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="dailyrollup",
            index=models.Index(
                fields=["day", "org", "code_b", "code_c", "code_a", "total", "repeat"], name="rollup_day_org_cover"
            ),
        ),
        migrations.RemoveIndex(model_name="dailyrollup", name="rollup_day_org"),
    ]
