"""Load the classification taxonomy (JR/T 0169-2018 style, about 85 codes).

Later changes to the taxonomy ship as new data migrations or admin edits; this
one only inserts codes that are missing, so re-running on a database that
already has them changes nothing.
"""

from django.db import migrations


def load(apps, schema_editor):
    from complaints.taxonomy_data import TAXONOMY

    Code = apps.get_model("complaints", "ClassificationCode")
    by_code = {c.code: c for c in Code.objects.all()}
    for spec in sorted(TAXONOMY, key=lambda s: (len(s.code), s.code)):
        if spec.code in by_code:
            continue
        by_code[spec.code] = Code.objects.create(
            code=spec.code,
            axis=spec.axis,
            level=spec.level,
            parent=by_code.get(spec.parent) if spec.parent else None,
            name_zh=spec.name_zh,
            name_en=spec.name_en,
            keywords_zh=spec.keywords_zh,
            keywords_en=spec.keywords_en,
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
