"""Refuse changes to the audit log at the database level too.

PostgreSQL: row triggers refuse UPDATE and DELETE (TRUNCATE, which needs the table owner, stays
possible for maintenance and test flushes). SQLite: a trigger refuses UPDATE; DELETE is refused by
the ORM only, because SQLite has no TRUNCATE and test flushes delete rows.
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION lianfang_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OR DELETE ON core_auditentry
  FOR EACH ROW EXECUTE FUNCTION lianfang_audit_append_only();
"""
REVERSE = "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;"

SQLITE = """
CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON core_auditentry
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE.strip().split("END;"):
            if statement.strip():
                schema_editor.execute(statement + "END;")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
