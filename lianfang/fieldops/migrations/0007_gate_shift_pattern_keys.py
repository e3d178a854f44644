"""Gate shift patterns (班次模式) become a choice of the rule set's patterns (new-user trial 16: the
page took free text). Every gate's stored value is made one of the keys of the field rule set in force
today: a key is kept; a pattern's name or English name, however typed (full-width, case, spaces,
brackets: “三班倒（8小时）”, “three 8-hour shifts”, “三班倒”), becomes its key; anything else becomes
blank (the rule set's default pattern). Nothing is changed silently: each change is printed and
written to the audit log (action ``fieldops.gate_shift_pattern``, the old and new value)."""

import datetime as dt
import re
import unicodedata

from django.db import migrations


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"[\s()\-_·.]+", "", text)


def _mapping(rule_set) -> tuple[dict[str, str], list[tuple[str, str]]]:
    exact, prefixes = {}, []
    for key, pattern in (rule_set.shift_patterns or {}).items():
        for name in (key, pattern.get("name", ""), pattern.get("name_en", "")):
            if _plain(name):
                exact.setdefault(_plain(name), key)
                prefixes.append((_plain(name), key))
    return exact, prefixes


def key_for(value: str, exact: dict[str, str], prefixes: list[tuple[str, str]]) -> str:
    """The pattern key ``value`` means, or "" (the default pattern)."""
    plain = _plain(value)
    if not plain:
        return ""
    if plain in exact:
        return exact[plain]
    starts = {key for name, key in prefixes if name.startswith(plain) or plain.startswith(name)}
    return starts.pop() if len(starts) == 1 else ""


def forwards(apps, schema_editor):
    Gate = apps.get_model("fieldops", "Gate")
    FieldRuleSet = apps.get_model("fieldops", "FieldRuleSet")
    AuditEntry = apps.get_model("core", "AuditEntry")
    rule_set = (
        FieldRuleSet.objects.filter(effective_from__lte=dt.date.today()).order_by("-effective_from", "code").first()
    )
    if rule_set is None:
        return
    keys = set(rule_set.shift_patterns or {})
    exact, prefixes = _mapping(rule_set)
    for gate in Gate.objects.exclude(shift_pattern="").exclude(shift_pattern__in=keys).order_by("id"):
        new = key_for(gate.shift_pattern, exact, prefixes)
        shown = new or f"{rule_set.default_shift_pattern} (default)"
        print(f"  gate {gate.pk} {gate.name}: shift pattern “{gate.shift_pattern}” → “{shown}”")
        AuditEntry.objects.create(
            actor=None,
            action="fieldops.gate_shift_pattern",
            object_type="fieldops.gate",
            object_id=str(gate.pk),
            division_code=gate.path,
            reason="migration 0007: shift pattern made a choice",
            detail={"from": gate.shift_pattern, "to": new},
        )
        Gate.objects.filter(pk=gate.pk).update(shift_pattern=new)


class Migration(migrations.Migration):
    dependencies = [
        ("fieldops", "0006_patrol_min_scan_seconds"),
        ("core", "0002_audit_append_only_trigger"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
