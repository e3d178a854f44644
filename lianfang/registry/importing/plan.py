"""What an import would do: the :class:`Plan` of a file (its :class:`Issue` list, households and residents
planned, counts), the per-row :class:`Person`, :class:`HouseholdPlan` and :class:`ResidentPlan`, and the
progress callback the phases report through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.text import capfirst
from django.utils.translation import pgettext_lazy

from lianfang.divisions.models import Division

PROGRESS_EVERY = 5_000  # rows between two progress reports (validation, the rows written)

ProgressCallback = Callable[[str, int, int], None]  # (phase, done, total)


SEVERITY_LABELS = {
    "error": pgettext_lazy("import problem severity", "Error"),
    "warning": pgettext_lazy("import problem severity", "Warning"),
}
"""The label of each :class:`Issue` ``severity`` (错误/警告, Error/Warning): what the import page and the
report show, never the stored value."""


def severity_label(severity: str) -> str:
    """The label of ``severity`` in the active language (:data:`SEVERITY_LABELS`); an unknown value as it is."""
    return str(SEVERITY_LABELS.get(severity, severity))


def reason_text(reason: str) -> str:
    """An :class:`Issue`'s ``reason`` as the import page, the report and the command show it: a
    sentence, its first letter capitalised (django.utils.text.capfirst; Chinese unchanged). The
    reasons come from messages that start in lower case because other pages use them after a label
    (registry.services.name_problem: "Name: not a plausible name …", core.pii.PhoneError) and from
    ones that start capitalised (core.idnumber: "Check character does not match …"): the report's
    Reason column mixed both (new-user trial 14). The stored issue keeps the message as made."""
    return capfirst(str(reason))


@dataclass
class Issue:
    """One problem found in the file: where (sheet, 1-based row, column header and letter), what value, why.

    ``severity`` is ``error`` (nothing is written while any exists) or ``warning``.
    """

    sheet: str
    row: int
    column: str
    value: str
    reason: str
    severity: str = "error"

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.row}" + (f" {self.column}" if self.column else "")
        value = f" {self.value!r}" if self.value else ""
        return f"{self.severity}: {where}:{value} {self.reason}"


class Person(NamedTuple):
    """The validated fields of one resident (validate_resident's ResidentData without its warnings), as a
    tuple: a 0.5 M-row file keeps one per row."""

    name: str
    document_type: str
    document_number: str
    sex: str
    birth_date: dt.date
    phone: str


class HouseholdPlan:
    """A household named by the file: its key, placement, contact values and the matching row if any."""

    __slots__ = ("key", "placement", "contact_name", "phone", "phone_masked", "existing", "ref", "new_id", "changes")

    def __init__(self, key, placement, ref):
        self.key = key
        self.placement = placement
        self.contact_name = ""
        self.phone = ""
        self.phone_masked = ""
        self.existing = None
        self.ref = ref
        self.new_id = None
        self.changes = None


class ResidentPlan:
    """One resident row of the file, validated: data, extra fields, match in the database, action."""

    __slots__ = (
        "ref",
        "household",
        "data",
        "id_hash",
        "extra",
        "flags",
        "guardian",
        "existing",
        "new_id",
        "changes",
        "phone_masked",
    )

    def __init__(self, ref, household, data, id_hash, extra, flags, guardian):
        self.ref = ref
        self.household = household
        self.data = data
        self.id_hash = id_hash
        self.extra = extra  # ((field, value), ...) for relation, residence_status, registration_address given
        self.flags = flags  # ((flag, bool), ...) for the flag columns the file has
        self.guardian = guardian  # ("hash", h) | ("masked", text) | None
        self.existing = None
        self.new_id = None
        self.changes = None
        self.phone_masked = ""


@dataclass
class Plan:
    """What a file would do: issues, households and residents planned, counts."""

    target: Division
    file_format: str
    encoding: str = ""
    issues: list[Issue] = field(default_factory=list)
    households: dict = field(default_factory=dict)
    residents: list[ResidentPlan] = field(default_factory=list)
    rows: int = 0
    skipped: int = 0
    sheets: list[str] = field(default_factory=list)
    header_rows: dict[str, int] = field(default_factory=dict)  # sheet → 1-based row of the (last) header row

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def counts(self) -> dict[str, int]:
        """Rows and planned changes: created/updated/unchanged households and residents, errors, warnings."""
        counts = {"rows": self.rows, "blank_rows": self.skipped}
        for name, rows in (("households", self.households.values()), ("residents", self.residents)):
            created = updated = unchanged = 0
            for row in rows:  # one pass: a plan can hold 0.5 M rows
                if row.existing is None:
                    created += 1
                elif row.changes:
                    updated += 1
                else:
                    unchanged += 1
            counts.update({f"{name}_created": created, f"{name}_updated": updated, f"{name}_unchanged": unchanged})
        errors = sum(1 for i in self.issues if i.severity == "error")
        counts.update({"errors": errors, "warnings": len(self.issues) - errors})
        return counts

    @property
    def changes_anything(self) -> bool:
        c = self.counts()
        return any(c[k] for k in ("households_created", "households_updated", "residents_created", "residents_updated"))
