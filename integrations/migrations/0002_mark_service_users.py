"""Mark the service users of clients made before accounts.User had ``is_service_account``
(integrations.services.clients sets it on the users it makes from now on)."""

from django.db import migrations


def mark(apps, schema_editor):
    IntegrationClient = apps.get_model("integrations", "IntegrationClient")
    User = apps.get_model("accounts", "User")
    ids = IntegrationClient.objects.values_list("service_user_id", flat=True)
    User.objects.filter(pk__in=ids).update(is_service_account=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_user_is_service_account"),
        ("integrations", "0001_initial"),
    ]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
