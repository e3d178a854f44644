"""No two overlapping periods for the same unit and level, nor two deployments of a worker at once.

PostgreSQL: exclusion constraints over ``daterange(starts_on, ends_on, '[]')`` (btree_gist, a trusted
extension since PostgreSQL 13). SQLite: BEFORE INSERT/UPDATE triggers doing the same check through the
(household, starts_on), (division, level, starts_on) and (worker, starts_on) indexes. Either way a
violation is an IntegrityError.
"""

from django.db import migrations

PG = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE workforce_responsibilityassignment ADD CONSTRAINT assignment_no_overlap_l4
  EXCLUDE USING gist (household_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&) WHERE (level = 4);
ALTER TABLE workforce_responsibilityassignment ADD CONSTRAINT assignment_no_overlap_unit
  EXCLUDE USING gist (level WITH =, division_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&)
  WHERE (household_id IS NULL);
ALTER TABLE workforce_deployment ADD CONSTRAINT deployment_no_overlap
  EXCLUDE USING gist (worker_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&);
"""
PG_REVERSE = """
ALTER TABLE workforce_responsibilityassignment DROP CONSTRAINT IF EXISTS assignment_no_overlap_l4;
ALTER TABLE workforce_responsibilityassignment DROP CONSTRAINT IF EXISTS assignment_no_overlap_unit;
ALTER TABLE workforce_deployment DROP CONSTRAINT IF EXISTS deployment_no_overlap;
"""

_OVERLAP = "o.starts_on <= COALESCE(NEW.ends_on, '9999-12-31') AND COALESCE(o.ends_on, '9999-12-31') >= NEW.starts_on"
_CHECKS = {
    "assignment_l4": (
        "workforce_responsibilityassignment",
        "NEW.level = 4",
        "o.household_id = NEW.household_id AND o.level = 4",
        "overlapping household representative assignment",
    ),
    "assignment_unit": (
        "workforce_responsibilityassignment",
        "NEW.household_id IS NULL",
        "o.division_id = NEW.division_id AND o.level = NEW.level AND o.household_id IS NULL",
        "overlapping responsibility assignment",
    ),
    "deployment": (
        "workforce_deployment",
        "1",
        "o.worker_id = NEW.worker_id",
        "overlapping deployment",
    ),
}


def _sqlite_statements():
    for name, (table, applies, same_unit, message) in _CHECKS.items():
        for event, self_clause in (("INSERT", ""), ("UPDATE", " AND o.id <> NEW.id")):
            yield (
                f"CREATE TRIGGER IF NOT EXISTS workforce_{name}_no_overlap_{event.lower()} BEFORE {event} ON {table} "
                f"WHEN {applies} AND EXISTS (SELECT 1 FROM {table} o WHERE {same_unit}{self_clause} AND {_OVERLAP}) "
                f"BEGIN SELECT RAISE(ABORT, 'workforce: {message}'); END;"
            )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in _sqlite_statements():
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif schema_editor.connection.vendor == "sqlite":
        for name in _CHECKS:
            for event in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS workforce_{name}_no_overlap_{event};")


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
