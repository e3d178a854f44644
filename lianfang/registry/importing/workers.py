"""The workers roster import (人员与包保) into the workforce app: its columns (:data:`WORKER_COLUMNS`),
:func:`plan_workers` (read and validate) and :func:`commit_workers` (write through the workforce
services).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from lianfang.core import pii
from lianfang.core.forms import bracketed
from lianfang.divisions.models import Division, Level
from lianfang.registry.importing.columns import (
    REQUIRED_KEYS,
    TEMPLATE_COLUMNS,
    Column,
    _choice_index,
    cell_text,
    normalize_phone,
    not_a_date,
    not_accepted,
    parse_date,
)
from lianfang.registry.importing.commit import _ranges
from lianfang.registry.importing.places import Places, _place_key
from lianfang.registry.importing.plan import Issue, Plan
from lianfang.registry.importing.reading import (
    _column_letter,
    detect_format,
    find_header,
    no_header_reason,
    read_sheets,
)
from lianfang.registry.importing.validation import _strip_value, visible
from lianfang.registry.models import Household, ImportBatch, ImportKind
from lianfang.registry.services import name_problem, text_problem

CATEGORY_SYNONYMS = {
    "city_cadre": ("市级下沉干部", "市级干部", "市直单位干部", "市级驻守干部"),
    "district_cadre": ("区级下沉干部", "区级干部", "区直单位干部", "区级驻守干部", "下沉干部", "驻守干部"),
    "street_staff": ("街道干部", "街道工作人员", "乡镇干部", "镇干部"),
    "community_staff": ("社区工作人员", "社区干部", "村干部", "社区工作者"),
    "grid_worker": ("网格员",),
    "social_work_committee": ("社工委", "社工委成员"),
    "public_health_committee": ("公卫委", "公卫委成员"),
    "patriotic_health_committee": ("爱卫会", "爱卫会成员"),
    "party_member": ("党员",),
    "veteran": ("退役军人",),
    "volunteer": ("志愿者",),
    "medical_staff": ("医务人员", "采样人员", "医护人员"),
    "police": ("民警", "公安", "辅警"),
    "household_representative": ("联户代表",),
}
LEVEL_SYNONYMS = {"1": 1, "一级": 1, "l1": 1, "2": 2, "二级": 2, "l2": 2, "3": 3, "三级": 3, "l3": 3}
LEVEL_SYNONYMS.update({"4": 4, "四级": 4, "l4": 4})

WORKER_COLUMNS: tuple[Column, ...] = (
    Column("name", pgettext_lazy("person", "Name"), ("姓名", "名字", "name", "full name"), required=True),
    Column("id_number", gettext_lazy("ID number"), ("身份证号", "身份证号码", "公民身份号码", "证件号码"), text=True),
    Column("phone", gettext_lazy("Phone"), ("联系电话", "手机号", "手机号码", "电话", "phone", "mobile"), text=True),
    Column(
        "categories",
        gettext_lazy("Categories"),
        ("人员类别", "类别", "人员类型", "身份", "category", "categories"),
        required=True,
    ),
    Column("position", gettext_lazy("Position"), ("职务", "职位", "position")),
    Column("sending_organisation", gettext_lazy("Sending organisation"), ("派出单位", "工作单位", "单位")),
    Column(
        "base",
        gettext_lazy("Belongs to"),
        ("所属单位", "所在社区", "所属社区", "驻守社区", "所在小区", "base division", "belongs to"),
        required=True,
    ),
    Column("level", gettext_lazy("Responsibility level"), ("包保层级", "层级", "包保级别", "level")),
    Column(
        "unit",
        gettext_lazy("Responsible for"),
        ("包保对象", "包保单位", "包保小区", "包保户", "包保范围", "responsible for"),
    ),
    Column("starts_on", gettext_lazy("From"), ("开始日期", "包保开始日期", "起始日期", "from", "starts on")),
)
WORKER_REQUIRED = tuple(c.key for c in WORKER_COLUMNS if c.required)
COLUMN_LABELS = {c.key: c.label for c in WORKER_COLUMNS}


@functools.cache
def _category_index() -> dict[str, str]:
    from lianfang.workforce.models import Category  # noqa: PLC0415

    index = _choice_index(Category, {})
    for value, names in CATEGORY_SYNONYMS.items():
        for name in names:
            index[name.lower()] = value
    return index


def _category_labels() -> list[str]:
    """The worker categories' labels in the active language (the accepted values a reader is told)."""
    from lianfang.workforce.models import Category  # noqa: PLC0415

    return [str(label) for _value, label in Category.choices]


class WorkerPlan:
    """One worker row: the worker's fields, its match in the database, and the assignment asked for."""

    __slots__ = ("ref", "fields", "source_key", "existing_id", "level", "division", "households", "starts_on")

    def __init__(self, ref, fields, source_key):
        self.ref = ref
        self.fields = fields
        self.source_key = source_key
        self.existing_id = None
        self.level = None
        self.division = None
        self.households = None
        self.starts_on = None


def plan_workers(*, target: Division, data: bytes, file_name: str, today: dt.date | None = None) -> Plan:
    """Read and validate a workers roster for ``target`` (one row per worker, optionally one assignment).

    Checks names, categories (人员类别, Chinese or English, several separated by 、,;/), ID numbers
    (GB 11643-1999) and phones, the division each worker belongs to and, for an assignment, its level
    (1-4) and unit (a community/compound name for levels 1-3, household addresses separated by ; for
    level 4). The same person twice is a conflict. Workers already imported (same source key: ID hash,
    else name and phone) are matched, not duplicated. Returns a Plan whose ``residents`` list holds
    WorkerPlan rows. Raises ImportFileError when the file cannot be read.
    """
    from lianfang.core import idnumber  # noqa: PLC0415
    from lianfang.workforce.models import ResponsibilityAssignment, Worker  # noqa: PLC0415

    today = today or timezone.localdate()
    file_format = detect_format(file_name)
    sheets, encoding = read_sheets(data, file_format, Path(file_name).name)
    plan = Plan(target=target, file_format=file_format, encoding=encoding)
    places = Places(target)
    district_id = target.district_id or target.id
    existing = dict(
        Worker.objects.filter(district_id=district_id).exclude(source_key="").values_list("source_key", "id")
    )
    assigned = {
        (worker_id, level, household_id or division_id, starts_on)
        for worker_id, level, division_id, household_id, starts_on in ResponsibilityAssignment.objects.filter(
            district_id=district_id
        ).values_list("worker_id", "level", "division_id", "household_id", "starts_on")
    }
    addresses = {h.address: h for h in Household.objects.within(target.code)}
    seen: dict[str, tuple[str, int]] = {}
    for sheet in sheets:
        header = find_header(sheet.rows, WORKER_COLUMNS, WORKER_REQUIRED)
        if header is None:
            continue
        plan.sheets.append(sheet.name)
        plan.header_rows[sheet.name] = header.first_data_row
        labels = {key: bracketed(header.texts[col], _column_letter(col)) for col, key in header.keys.items()}
        for key in WORKER_REQUIRED:
            if key not in labels:
                label = str(next(c.label for c in WORKER_COLUMNS if c.key == key))
                plan.issues.append(
                    Issue(sheet.name, header.first_data_row, label, "", _("required column %s is missing") % label)
                )
        if any(i.severity == "error" for i in plan.issues):
            continue
        id_col = next((c for c, k in header.keys.items() if k == "id_number"), None)
        for index, raw in sheet.data_rows(header.first_data_row):
            text = {key: cell_text(raw[col]) if col < len(raw) else "" for col, key in header.keys.items()}
            if not any(text.values()):
                plan.skipped += 1
                continue
            plan.rows += 1
            row_no = index + 1
            errors: list[Issue] = []

            def issue(key, reason, text=text, row_no=row_no, sheet=sheet, labels=labels, errors=errors):
                errors.append(Issue(sheet.name, row_no, labels.get(key, ""), visible(text.get(key, "")), str(reason)))

            name = " ".join(text.get("name", "").split())
            if not name:
                issue("name", _("name is required"))
            elif problem := name_problem(name):  # markup, control or invisible characters (new-user trial 14)
                issue("name", problem)
            for key in ("position", "sending_organisation"):
                if problem := text_problem(text.get(key, "")):
                    issue(key, problem)
            categories = []
            for part in re.split(r"[、,，;；/\s]+", text.get("categories", "")):
                if part:
                    value = _category_index().get(part.lower())
                    if value is None:
                        issue("categories", not_accepted(COLUMN_LABELS["categories"], part, _category_labels()))
                    elif value not in categories:
                        categories.append(value)
            if not categories and text.get("categories", "") == "":
                issue("categories", _("at least one category is required"))
            number = phone = ""
            raw_id = raw[id_col] if id_col is not None and id_col < len(raw) else ""
            if text.get("id_number"):
                try:
                    number = idnumber.parse(raw_id).number
                except idnumber.IdNumberError as exc:
                    issue("id_number", exc)
            if text.get("phone"):
                try:
                    phone = normalize_phone(text["phone"])
                except pii.PhoneError as exc:
                    issue("phone", exc)
            base = None
            base_text = text.get("base", "")
            if base_text:
                base = _find_division(places, base_text, target)
                if base is None:
                    issue(
                        "base",
                        _("unknown division %(name)s in %(target)s") % {"name": base_text, "target": target.short_name},
                    )
            elif target.level >= Level.STREET:
                base = target
            else:
                issue("base", _("the division the worker belongs to is required"))
            key = pii.lookup_hash("id", number) if number else pii.lookup_hash("worker", f"{name}|{phone}")
            source_key = f"roster:{key[:32]}"
            first = seen.get(source_key)
            if first is not None:
                issue(
                    "name",
                    _("the same person is already on sheet %(sheet)s row %(row)d")
                    % {"sheet": first[0], "row": first[1]},
                )
            seen.setdefault(source_key, (sheet.name, row_no))
            row = WorkerPlan((sheet.name, row_no), None, source_key)
            row.existing_id = existing.get(source_key)
            if text.get("level") or text.get("unit"):
                row.level = LEVEL_SYNONYMS.get(text.get("level", "").lower())
                if row.level is None:
                    issue("level", _("responsibility level must be 1, 2, 3 or 4"))
                elif not text.get("unit"):
                    issue("unit", _("the unit of responsibility is required with a level"))
                elif row.level == 4:
                    row.households = []
                    for address in re.split(r"[;；\n]+", text["unit"]):
                        address = " ".join(address.split())
                        if address and address not in addresses:
                            issue("unit", _("unknown household %s") % address)
                        elif address:
                            row.households.append(addresses[address])
                else:
                    row.division = _find_division(places, text["unit"], target)
                    if row.division is None:
                        issue(
                            "unit",
                            _("unknown division %(name)s in %(target)s")
                            % {"name": text["unit"], "target": target.short_name},
                        )
                try:
                    row.starts_on = parse_date(text.get("starts_on", "")) or today
                except ValueError:
                    issue("starts_on", not_a_date(text.get("starts_on", "")))
                if row.existing_id is not None and row.level and row.starts_on:  # already recorded?
                    if row.households is not None:
                        row.households = [
                            h for h in row.households if (row.existing_id, 4, h.id, row.starts_on) not in assigned
                        ]
                        if not row.households:
                            row.level = None
                    elif row.division and (row.existing_id, row.level, row.division.id, row.starts_on) in assigned:
                        row.level = None
            row.fields = {
                "name": name,
                "categories": categories,
                "base_division": base,
                "phone": phone,
                "id_number": number,
                "position": text.get("position", ""),
                "sending_organisation": text.get("sending_organisation", ""),
                "source_key": source_key,
            }
            plan.issues.extend(errors)
            if not errors:
                plan.residents.append(row)
    if not plan.sheets:
        plan.issues.append(Issue("", 0, "", "", no_header_reason(sheets, WORKER_COLUMNS, WORKER_REQUIRED)))
    elif not plan.rows and not plan.errors:
        plan.issues.append(Issue("", 0, "", "", _("the file has no data rows under its header: nothing to import")))
    return plan


# Columns only one kind of file has: a header naming one of them tells what the file holds.
DISTINCTIVE = {ImportKind.REGISTRY: ("compound", "room"), ImportKind.WORKERS: ("categories", "base")}


def other_kind_hint(*, data: bytes, file_name: str, kind: str) -> str | None:
    """When a file imported as ``kind`` (an ImportKind value) has a header of the other kind (all its
    required columns, one of them only that kind has: :data:`DISTINCTIVE`), the error saying so
    (translated), e.g. ``该文件看起来是“工作人员与包保”名单，而不是“住户登记”名单：请改选对应的导入类型``;
    else None. Reads the file again (called only for a file whose header was refused). Raises
    ImportFileError as :func:`read_sheets`."""
    other = ImportKind.WORKERS if kind == ImportKind.REGISTRY else ImportKind.REGISTRY
    columns, required = (
        (WORKER_COLUMNS, WORKER_REQUIRED) if other == ImportKind.WORKERS else (TEMPLATE_COLUMNS, REQUIRED_KEYS)
    )
    sheets, _encoding = read_sheets(data, detect_format(file_name), Path(file_name).name)
    for sheet in sheets:
        header = find_header(sheet.rows, columns, required)
        found = set(header.keys.values()) if header is not None else set()
        if found >= set(required) and found & set(DISTINCTIVE[other]):
            return _(
                "the file looks like a roster of “%(found)s”, not of “%(expected)s”: choose that kind of import"
            ) % {"found": other.label, "expected": ImportKind(kind).label}
    return None


def _find_division(places: Places, text: str, target: Division) -> Division | None:
    """A community, compound or (for a district/street target) street named ``text`` under ``target``."""
    key = _place_key(text, Level.COMPOUND)
    if _place_key(target.short_name, Level.COMPOUND) == key or _place_key(target.name, Level.COMPOUND) == key:
        return target
    community = places.communities.get(_place_key(text, Level.COMMUNITY))
    if community is not None:
        return community
    for children in places.children.values():
        node = children.get(key)
        if node is not None and node.level == Level.COMPOUND:
            return node
    return None


def commit_workers(*, plan: Plan, batch: ImportBatch, actor) -> dict[str, int]:
    """Create the plan's new workers and assignments through lianfang.workforce.services (each audited),
    in the caller's transaction. A row the services refuse (rule set, overlapping responsibility) becomes
    an error of ``plan`` and the caller rolls everything back. Returns the counts."""
    from lianfang.workforce import services as workforce  # noqa: PLC0415
    from lianfang.workforce.models import Worker  # noqa: PLC0415

    created_workers, created_assignments = [], []
    for row in plan.residents:
        sheet, row_no = row.ref
        try:
            with transaction.atomic():
                if row.existing_id is None:
                    worker = workforce.worker_create(actor=actor, **row.fields)
                    created_workers.append(worker.pk)
                else:
                    worker = Worker.objects.get(pk=row.existing_id)
                if row.level:
                    assignments = workforce.assignment_create(
                        actor=actor,
                        level=row.level,
                        worker=worker,
                        starts_on=row.starts_on,
                        division=row.division,
                        households=row.households,
                    )
                    created_assignments.extend(a.pk for a in assignments)
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                for message in messages:
                    plan.issues.append(Issue(sheet, row_no, "", row.fields["name"], _strip_value(message)))
    batch.created_ids = {"worker": _ranges(created_workers), "assignment": _ranges(created_assignments)}
    return {
        "rows": plan.rows,
        "blank_rows": plan.skipped,
        "workers_created": len(created_workers),
        "workers_unchanged": sum(1 for r in plan.residents if r.existing_id is not None),
        "assignments_created": len(created_assignments),
        "errors": len(plan.errors),
        "warnings": len(plan.warnings),
    }
