"""On PostgreSQL, two active appointments of one provider can never overlap.

An exclusion constraint makes the database the judge of booking races. SQLite has
no such constraint; there, booking runs in IMMEDIATE transactions (settings) so
the service's overlap check and insert are serialised instead. The statuses in the
WHERE clause are Appointment.ACTIVE_STATUSES.
"""

from django.db import migrations

CONSTRAINT = "appointment_no_provider_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE appointments_appointment ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (provider_id WITH =, tstzrange(start_at, blocked_until, '[)') WITH &&) "
        "WHERE (status IN ('booked', 'confirmed'))"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE appointments_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
    )


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint, elidable=False)]
