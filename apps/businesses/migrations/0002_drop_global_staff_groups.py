"""Roles are now decided per business; the old global groups would still lend their
permissions to any admin page outside the tenant-scoped ones, so they go."""

from django.db import migrations

OLD_GROUPS = ("Front desk", "Manager")


def drop_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=OLD_GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("businesses", "0001_initial"),
    ]

    operations = [migrations.RunPython(drop_groups, migrations.RunPython.noop)]
