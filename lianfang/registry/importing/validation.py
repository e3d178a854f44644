"""Validating a whole registry file against the database without writing: :class:`Validator` (see the
package docstring, step 2) and its entry point :func:`plan_import`; the value shown for an issue
(:func:`shown_value`, :func:`typed_value`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.core import pii
from lianfang.core.forms import bracketed
from lianfang.divisions.models import Division, Level
from lianfang.registry.importing.columns import (
    COLUMNS_BY_KEY,
    FALSE_VALUES,
    HEAD,
    MAX_CELL_CHARS,
    MAX_LENGTHS,
    NO_DOCUMENT,
    OTHER_RELATION,
    REGISTERED,
    REQUIRED_KEYS,
    RESIDENT_ID,
    TEMPLATE_COLUMNS,
    TRUE_VALUES,
    _is_irreversible,
    _is_masked,
    _match_header,
    _value_indexes,
    accepted_values,
    cell_text,
    document_hash,
    flag_values,
    folded_from_full_width,
    full_width_warning,
    name_initials,
    normalize_phone,
    not_a_date,
    not_accepted,
    parse_date,
)
from lianfang.registry.importing.parallel import (
    PARALLEL_CHUNK,
    _default_signals,
    _packed,
    _read_chunk,
    _unflat_read,
    parallel_workers,
    set_forked,
)
from lianfang.registry.importing.places import Places
from lianfang.registry.importing.plan import (
    PROGRESS_EVERY,
    HouseholdPlan,
    Issue,
    Person,
    Plan,
    ProgressCallback,
    ResidentPlan,
)
from lianfang.registry.importing.reading import (
    Header,
    Sheet,
    _column_letter,
    detect_format,
    find_header,
    no_header_reason,
    read_sheets,
)
from lianfang.registry.models import Household, Resident
from lianfang.registry.services import FLAG_FIELDS, Placement, name_problem, text_problem, validate_resident

SHOWN_VALUE_CHARS = 60  # an over-long value is shown truncated to this in issues and reports

# Columns compared to decide whether an existing resident changed (the rest are derived or sealed).
RESIDENT_COMPARED = (
    "name",
    "document_type",
    "sex",
    "birth_date",
    "relation",
    "residence_status",
    "registration_address",
    *FLAG_FIELDS,
)
EXISTING_RESIDENT_COLUMNS = (
    "id",
    "household_id",
    "path",
    "id_hash",
    "id_masked",
    "phone_hash",
    "phone_masked",
    "guardian_id",
    "is_deceased",
    "updated_at",
    *RESIDENT_COMPARED,
)


class Validator:
    """Validates one file for one target division; see the package docstring. Use :func:`plan_import`."""

    def __init__(self, target: Division, file_format: str, *, today: dt.date, progress: ProgressCallback | None):
        self.plan = Plan(target=target, file_format=file_format)
        self.places = Places(target)
        self.today = today
        self.progress = progress
        self.seen: dict[str, tuple[str, int]] = {}  # id_hash → (sheet, row) of its first row in the file
        self.current: tuple[str, int] = ("", 0)
        self._interned: dict[tuple, tuple] = {}
        self.flag_columns: tuple[str, ...] = ()  # the vulnerability-flag columns of the sheet being read
        self._flags: dict[tuple, tuple] = {}  # flag texts → parsed flags (a sheet has a few dozen combinations)
        self._placements: dict[str, Placement] = {}  # one per division node, shared by its households
        self.labels: dict[str, dict[str, str]] = {}  # sheet → column key → "header (letter)"
        self.length_limits: tuple[tuple[str, int], ...] = ()  # (column key, most characters) of the sheet

    def _intern(self, value: tuple) -> tuple:
        """One shared tuple per distinct value (most rows have the same flags): memory at 0.5 M rows.

        Stops adding after 50,000 distinct values (a column of all-different addresses gains nothing)."""
        shared = self._interned.get(value)
        if shared is not None:
            return shared
        if len(self._interned) < 50_000:
            self._interned[value] = value
        return value

    def label(self, sheet: str, key: str) -> str:
        """``身份证号 (F)``: the header and letter of column ``key`` on ``sheet`` (the English label if absent)."""
        return self.labels.get(sheet, {}).get(key) or str(COLUMNS_BY_KEY[key].label)

    # -- entry point
    def run(self, sheets: list[Sheet]) -> Plan:
        plan = self.plan
        total = sum(s.total for s in sheets)
        done = 0
        rows_with_keys = []
        for sheet in sheets:
            header = find_header(sheet.rows)
            if header is None:
                if any(any(cell_text(v) for v in row) for row in sheet.rows):
                    plan.issues.append(
                        Issue(sheet.name, 0, "", "", _("no header row found in this sheet; sheet ignored"), "warning")
                    )
                continue
            plan.sheets.append(sheet.name)
            plan.header_rows[sheet.name] = header.first_data_row
            total -= header.first_data_row  # the progress counts data rows (25,000, not 25,001)
            self.labels[sheet.name] = {
                key: bracketed(header.texts[col], _column_letter(col)) for col, key in header.keys.items()
            }
            if not self._check_header(sheet, header):
                continue
            rows_with_keys.append((sheet, header))
        existing = self._load_existing()
        for sheet, header in rows_with_keys:
            columns = tuple(header.keys.items())
            self.flag_columns = tuple(name for name in FLAG_FIELDS if name in header.keys.values())
            self.length_limits = tuple((key, MAX_LENGTHS.get(key, MAX_CELL_CHARS)) for _col, key in columns)
            self._flags = {}
            workers = parallel_workers(sheet.total)
            if workers:
                reads = self._read_parallel(sheet, columns, header.first_data_row, existing, workers)
            else:
                reads = (
                    self._read_row(sheet.name, columns, index, raw_row, existing)
                    for index, raw_row in sheet.data_rows(header.first_data_row)
                )
            for read in reads:
                if read is None:
                    plan.skipped += 1
                else:
                    self._apply_row(sheet.name, read, existing)
                done += 1
                if self.progress and done % PROGRESS_EVERY == 0:
                    self.progress("validate", done, max(total, done))
        if not plan.sheets:
            plan.issues.append(Issue("", 0, "", "", no_header_reason(sheets, TEMPLATE_COLUMNS)))
        elif not plan.rows and not plan.errors:
            plan.issues.append(Issue("", 0, "", "", _("the file has no data rows under its header: nothing to import")))
        self._check_elsewhere()
        self._resolve_guardians(existing)
        self._household_contacts()
        order = {name: index for index, name in enumerate(s.name for s in sheets)}
        plan.issues.sort(key=lambda i: (order.get(i.sheet, -1), i.row))
        if self.progress:
            self.progress("validate", done, done)
        return plan

    def _check_header(self, sheet: Sheet, header: Header) -> bool:
        ok = True
        found = set(header.keys.values())
        for key in REQUIRED_KEYS:
            if key not in found:
                label = str(COLUMNS_BY_KEY[key].label)
                self.plan.issues.append(
                    Issue(sheet.name, header.first_data_row, label, "", _("required column %s is missing") % label)
                )
                ok = False
        if self.plan.target.level < Level.COMMUNITY and "community" not in found:
            label = str(COLUMNS_BY_KEY["community"].label)
            self.plan.issues.append(
                Issue(
                    sheet.name,
                    header.first_data_row,
                    label,
                    "",
                    _("required column %s is missing (the import covers more than one community)") % label,
                )
            )
            ok = False
        for index, text in sorted(header.texts.items()):
            if not text or index in header.keys:
                continue
            letter = _column_letter(index)
            if _is_irreversible(text):
                reason = _("column ignored: deaths and other irreversible statuses are never set by an import")
            elif text in header.texts.values() and _match_header(text):
                reason = _("column ignored: the same column appears earlier")
            else:
                reason = _("unknown column ignored")
            self.plan.issues.append(
                Issue(sheet.name, header.first_data_row, bracketed(text, letter), "", reason, "warning")
            )
        return ok

    def _load_existing(self) -> dict:
        """Existing households and residents of the target (one query each)."""
        target = self.plan.target
        households = {}
        for row in Household.objects.within(target.code).values(
            "id", "path", "room", "contact_name", "phone_hash", "phone_masked", "address", "updated_at"
        ):
            households[(row["path"], row["room"])] = row
        residents_by_hash, residents_by_id = {}, {}
        for row in Resident.objects.within(target.code).values(*EXISTING_RESIDENT_COLUMNS):
            residents_by_id[row["id"]] = row
            if row["id_hash"]:
                residents_by_hash[row["id_hash"]] = row
        return {
            "households": households,
            "by_hash": residents_by_hash,
            "by_id": residents_by_id,
        }

    # -- one row
    def _read_row(self, sheet_name: str, header_columns: tuple, index: int, raw_row: list, existing: dict):
        """The part of one row's checks that depends on that row alone (worker processes run it for big files).

        ``header_columns`` are the sheet header's ``(column index, key)`` pairs. Returns None for a blank
        row, else ``(row_no, issues, place_issue_count, household_key, contact_name, household_phone,
        resident)``: ``issues`` are the row's issues so far, the place and room ones first;
        ``household_phone`` is None (none, or not a phone number: then an issue of the row, reported
        even when the row's place or room is wrong), ``("masked", text)`` or ``("phone", number)``;
        ``resident`` is None (no usable ID number and an error) or ``(ResidentPlan or None, shown ID value,
        resident_no row id, resident_no text, ID hash)``, the ResidentPlan None when the row has an error
        that refuses the resident but a valid ID number (a later row of the same person is still a
        duplicate). :meth:`_apply_row` does the rest in file order.
        """
        width = len(raw_row)
        values: dict[str, object] = {}
        text: dict[str, str] = {}
        empty = True
        nfkc = unicodedata.normalize
        for col, key in header_columns:
            value = raw_row[col] if col < width else ""
            if value.__class__ is str:  # cell_text inlined for the usual text cell (every CSV cell)
                if not value:
                    values[key] = text[key] = ""
                    continue
                folded = nfkc("NFKC", value).strip()
            elif value is None:
                values[key] = text[key] = ""
                continue
            else:
                folded = cell_text(value)
            if folded:
                empty = False
            values[key] = value
            text[key] = folded
        if empty:
            return None
        row_no = index + 1
        columns = self.labels[sheet_name]
        issues: list[Issue] = []

        def make_issue(key, reason, severity="error", value=None, as_typed=False):
            shown = values.get(key, "") if value is None else value
            shown = typed_value(shown) if as_typed else shown_value(shown)
            return Issue(sheet_name, row_no, columns.get(key, ""), shown, str(reason), severity)

        def issue(key, reason, severity="error", value=None, as_typed=False):
            issues.append(make_issue(key, reason, severity, value, as_typed))

        too_long: set[str] = set()
        for key, limit in self.length_limits:
            length = len(text[key])
            if length > limit:
                issue(key, _("too long: %(n)d characters, at most %(max)d") % {"n": length, "max": limit})
                too_long.add(key)
                # the other checks run on the cut value (cheap whatever the cell holds); what they
                # say about this column is dropped below: it would only repeat the value
                text[key] = values[key] = text[key][:limit]
        length_issues = len(issues)

        # Household
        room = text.get("room", "")
        node, bad_column, reason = self.places.resolve(
            text.get("community", ""), text.get("compound", ""), text.get("building", ""), text.get("unit", "")
        )
        if node is None:
            issue(bad_column, reason)
        if not room:
            issue("room", _("room / house number is required"))
        elif problem := text_problem(room):  # an invisible U+200B: "701" and "70​1" would be two households
            issue("room", problem)
            room = ""
        place_issues = len(issues)
        household_key = household_phone = None
        contact = text.get("contact_name", "")
        if contact and (problem := name_problem(contact)):
            issue("contact_name", problem)
            contact = ""
        phone_text = text.get("household_phone", "")
        if phone_text:  # checked on every row, whatever else is wrong with it (its place, its room)
            if _is_masked(phone_text):
                household_phone = ("masked", phone_text)
            else:
                try:
                    household_phone = ("phone", normalize_phone(phone_text))
                except pii.PhoneError as exc:
                    issue("household_phone", exc)
                else:
                    raw_phone = values["household_phone"]
                    if raw_phone is not phone_text and folded_from_full_width(raw_phone, phone_text):
                        issue("household_phone", full_width_warning(), "warning", as_typed=True)
        if node is not None and room:
            household_key = (node.code, room)
        # Resident
        resident = self._resident(values, text, issue, existing)
        if too_long:  # the row is refused, and every other bad field of it reported (new-user trial)
            long_columns = {columns.get(key, "") for key in too_long}
            issues[length_issues:] = [i for i in issues[length_issues:] if i.column not in long_columns]
            identity = None if "id_number" in too_long else self._refused_identity(values, text)
            return row_no, issues, len(issues), None, "", None, identity
        return row_no, issues, place_issues, household_key, contact, household_phone, resident

    def _apply_row(self, sheet_name: str, read: tuple, existing: dict) -> None:
        """Add one row read by :meth:`_read_row` to the plan, in file order: its household (the first
        contact and phone given win), duplicates within the file, the match in the database."""
        plan = self.plan
        row_no, read_issues, place_issues, household_key, contact, household_phone, resident = read
        plan.rows += 1
        self.current = (sheet_name, row_no)
        columns = self.labels[sheet_name]
        issues = read_issues[:place_issues]
        household = None
        if household_key is not None:
            household = plan.households.get(household_key)
            if household is None:
                code = household_key[0]
                placement = self._placements.get(code)
                if placement is None:
                    placement = self._placements[code] = Placement.of(self.places.by_code[code], self.places.by_code)
                household = HouseholdPlan(household_key, placement, self.current)
                household.existing = existing["households"].get(household_key)
                plan.households[household_key] = household
            if contact:
                if household.contact_name and household.contact_name != contact:
                    issues.append(
                        Issue(
                            sheet_name,
                            row_no,
                            columns.get("contact_name", ""),
                            contact,
                            _("differs from the household's earlier row; the first is kept"),
                            "warning",
                        )
                    )
                else:
                    household.contact_name = contact
            if household_phone is not None and not household.phone and not household.phone_masked:
                kind, value = household_phone
                if kind == "masked":
                    household.phone_masked = value
                else:
                    household.phone = value
        issues.extend(read_issues[place_issues:])
        if resident is not None:
            resident = self._link_resident(*resident, issues, existing)
        plan.issues.extend(issues)
        if resident is not None and household is not None and not any(i.severity == "error" for i in issues):
            resident.household = household
            resident.ref = self.current
            plan.residents.append(resident)

    def _link_resident(
        self, plan_row, id_shown, resident_row_id, resident_no, id_hash, issues, existing
    ) -> ResidentPlan | None:
        """The same person twice in the file (a conflict), the resident matched in the database, and a
        resident no. that names another person: issues appended to ``issues``; None when refused.

        ``plan_row`` None is a row refused for another error whose ID number (``id_hash``) is valid: it
        is only checked and remembered as a duplicate, so that the same person on two rows is reported
        whatever else is wrong with either row."""
        sheet_name, row_no = self.current
        columns = self.labels[sheet_name]
        if plan_row is None:
            first = self.seen.get(id_hash)
            if first is not None:
                issues.append(self._duplicate_issue(sheet_name, row_no, columns, id_shown, first))
            else:
                self.seen[id_hash] = self.current
            return None
        resident_row = existing["by_id"].get(resident_row_id) if resident_row_id is not None else None
        # Take the shared tuples again (a worker's come back as copies).
        plan_row.flags = self._intern(plan_row.flags)
        plan_row.extra = self._intern(plan_row.extra)
        if id_hash:
            first = self.seen.get(id_hash)
            if first is not None:
                issues.append(self._duplicate_issue(sheet_name, row_no, columns, id_shown, first))
                return None
            self.seen[id_hash] = self.current
            plan_row.existing = existing["by_hash"].get(id_hash)
            if (
                resident_row is not None
                and plan_row.existing is not None
                and resident_row["id"] != plan_row.existing["id"]
            ):
                issues.append(
                    Issue(
                        sheet_name,
                        row_no,
                        columns.get("resident_no", ""),
                        resident_no,
                        _("the resident no. belongs to another person than the ID number"),
                    )
                )
                return None
        elif resident_row is not None and resident_row["document_type"] == NO_DOCUMENT:
            plan_row.existing = resident_row
        return plan_row

    @staticmethod
    def _duplicate_issue(sheet_name: str, row_no: int, columns: dict, id_shown: str, first: tuple) -> Issue:
        """The error of a row naming the person of an earlier row ``first`` (``(sheet, row)``)."""
        return Issue(
            sheet_name,
            row_no,
            columns.get("id_number", ""),
            id_shown,
            _("the same person is already on sheet %(sheet)s row %(row)d; resolve the duplicate")
            % {"sheet": first[0], "row": first[1]},
        )

    def _refused_identity(self, values: dict, text: dict, doc_type: str | None = None) -> tuple | None:
        """``(None, shown ID value, None, "", ID hash)`` for a row refused for another error whose
        document number is valid (see :meth:`_link_resident`); None when it has no usable number (none,
        masked, invalid, an unknown document type or a person without a document). ``doc_type`` is the
        row's document type when already read (else read here without reporting it again)."""
        raw_id = values.get("id_number", "")
        shown = cell_text(raw_id)
        if not shown or _is_masked(shown):
            return None
        if doc_type is None:
            type_text = text.get("document_type", "")
            doc_type = _value_indexes()["document_type"].get(type_text.lower()) if type_text else RESIDENT_ID
        if doc_type == RESIDENT_ID:
            from lianfang.core import idnumber  # noqa: PLC0415

            try:
                number = idnumber.parse(raw_id, today=self.today).number
            except idnumber.IdNumberError:
                return None
        elif doc_type is None or doc_type == NO_DOCUMENT:
            return None
        else:
            number = "".join(shown.split()).upper()
        return None, shown, None, "", document_hash(number, doc_type)

    def _read_parallel(self, sheet: Sheet, columns: tuple, first: int, existing: dict, workers: int):
        """:meth:`_read_row` of every data row of ``sheet`` in ``workers`` forked processes; yields the results
        in file order. The children inherit this validator (places, labels, the database rows loaded) and
        never touch the database; at most ``2 × workers`` chunks of rows are in flight (memory). The
        children write their reasons in the language active here."""
        import collections  # noqa: PLC0415
        import multiprocessing  # noqa: PLC0415

        set_forked((self, sheet.name, columns, existing, translation.get_language()))
        rows = sheet.data_rows(first)
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_default_signals)
        try:
            pending = collections.deque()
            while True:
                while len(pending) < 2 * workers:
                    chunk = list(itertools.islice(rows, PARALLEL_CHUNK))
                    if not chunk:
                        break
                    pending.append(pool.apply_async(_read_chunk, (_packed(chunk),)))
                if not pending:
                    break
                yield from map(self._shared, pending.popleft().get())
            pool.close()  # the workers leave on their own once the queue is empty
            pool.join()
        finally:
            set_forked(None)
            pool.terminate()  # on an error or an abandoned generator (SIGTERM: see _default_signals)

    def _shared(self, flat: tuple | None) -> tuple | None:
        """A worker's flattened result (:func:`_flat_read`) as :meth:`_read_row` gives it, its extra-field and
        flag tuples shared with the rows before (:meth:`_intern`: memory at 0.5 M rows)."""
        read = _unflat_read(flat)
        if read is not None and read[6] is not None and read[6][0] is not None:
            plan = read[6][0]
            plan.extra, plan.flags = self._intern(plan.extra), self._intern(plan.flags)
        return read

    def _parse_flags(self, flag_texts: tuple[str, ...]) -> tuple[tuple[tuple[str, bool], ...], tuple[str, ...]]:
        """``(((flag, bool), ...), (bad flag column, ...))`` for the texts of the sheet's flag columns."""
        flags, bad = [], []
        for name, flag_text in zip(self.flag_columns, flag_texts, strict=True):
            flag_text = flag_text.lower()
            if flag_text in TRUE_VALUES:
                flags.append((name, True))
            elif flag_text in FALSE_VALUES:
                flags.append((name, False))
            else:
                bad.append(name)
        return self._intern(tuple(flags)), tuple(bad)

    def _choice(self, key, text, issue, default="", refused=None):
        """The code of choice column ``key``'s cell ``text`` (``default`` when blank). An unknown value is
        an error naming it and the accepted values (:func:`columns.not_accepted`); then ``default`` is
        returned and ``key`` added to the set ``refused`` (when given)."""
        if not text:
            return default
        value = _value_indexes()[key].get(text.lower())
        if value is None:
            issue(key, not_accepted(COLUMNS_BY_KEY[key].label, shown_value(text), accepted_values(key)))
            if refused is not None:
                refused.add(key)
            return default
        return value

    def _resident(self, values, text, issue, existing) -> tuple | None:
        """The resident half of :meth:`_read_row`: ``(ResidentPlan, shown ID value, resident_no's row id or
        None, resident_no text, ID hash)``; ``(None, shown ID value, None, "", ID hash)`` when the row has
        an error but a valid ID number (:meth:`_refused_identity`); None otherwise."""
        resident_row = None
        if text.get("resident_no"):
            try:
                resident_row = existing["by_id"].get(int(text["resident_no"]))
            except ValueError:
                resident_row = None
            if resident_row is None:
                issue(
                    "resident_no",
                    _("no resident with this number in the target; column ignored for this row"),
                    "warning",
                )
        reported: set[str] = set()  # columns already refused: validate_resident's "required" would repeat them
        doc_type = self._choice("document_type", text.get("document_type", ""), issue, RESIDENT_ID, reported)
        raw_id = values.get("id_number", "")
        id_text = "" if isinstance(raw_id, int | float) else cell_text(raw_id)
        sex = self._choice("sex", text.get("sex", ""), issue, "", reported)
        try:
            birth = parse_date(values.get("birth_date"))
        except (ValueError, TypeError):
            issue("birth_date", not_a_date(shown_value(values.get("birth_date"))))
            reported.add("birth_date")
            birth = None
        phone, phone_masked = "", ""
        phone_text = text.get("phone", "")
        if phone_text:
            if _is_masked(phone_text):
                phone_masked = phone_text
            else:
                try:
                    phone = normalize_phone(phone_text)
                except pii.PhoneError as exc:
                    issue("phone", exc)
                else:
                    raw_phone = values["phone"]
                    if raw_phone is not phone_text and folded_from_full_width(raw_phone, phone_text):
                        issue("phone", full_width_warning(), "warning", as_typed=True)
        masked_id = bool(id_text) and _is_masked(id_text)
        try:
            if masked_id:
                if resident_row is None or resident_row["id_masked"] != id_text:
                    issue(
                        "id_number",
                        _("a masked ID number only matches the exported resident (keep the resident no. column)"),
                    )
                    self._other_fields(values, text, issue, doc_type, masked_id)
                    return None
                data = validate_resident(
                    name=text.get("name", ""),
                    document_type=NO_DOCUMENT,
                    sex=sex or resident_row["sex"],
                    birth_date=birth or resident_row["birth_date"],
                    today=self.today,
                )
                data = replace(data, document_type=resident_row["document_type"])
            else:
                data = validate_resident(
                    name=text.get("name", ""),
                    document_type=doc_type,
                    document_number=raw_id if doc_type == RESIDENT_ID else id_text,
                    sex=sex,
                    birth_date=birth,
                    today=self.today,
                )
        except ValidationError as exc:
            errors = exc.message_dict
            for key, messages in errors.items():
                column = "id_number" if key == "document_number" else key
                if "document_number" in errors and key in ("sex", "birth_date") and not text.get(key):
                    continue  # only a consequence of the bad ID number
                if key in reported:
                    continue  # "required" after the cell's own error (not a date, not an accepted value)
                for message in messages:
                    issue(column, _strip_value(message), value=raw_id if column == "id_number" else None)
            # the rest of the row is still checked: every error of a row is reported together (new-user trial)
            self._other_fields(values, text, issue, doc_type, masked_id)
            if "document_number" in errors or "document_type" in errors or masked_id:
                return None
            return self._refused_identity(values, text, doc_type)
        for warning in data.warnings:
            issue("id_number", warning, "warning", value=raw_id)
        if raw_id is not text.get("id_number") and folded_from_full_width(raw_id, text.get("id_number", "")):
            issue("id_number", full_width_warning(), "warning", as_typed=True)
        data = Person(data.name, data.document_type, data.document_number, data.sex, data.birth_date, phone)
        other = self._other_fields(values, text, issue, data.document_type, masked_id)
        if other is None:
            return None
        extra, flags, guardian = other
        id_hash = document_hash(data.document_number, data.document_type) if data.document_number else ""
        if masked_id:
            id_hash = resident_row["id_hash"]
        plan_row = ResidentPlan(None, None, data, id_hash, self._intern(tuple(extra.items())), flags[0], guardian)
        plan_row.phone_masked = phone_masked
        # Conflicts (the same person twice in the file, or elsewhere) are checked in file order: _link_resident.
        return (
            plan_row,
            cell_text(raw_id),
            resident_row["id"] if resident_row is not None else None,
            text.get("resident_no", ""),
            id_hash,
        )

    def _other_fields(self, values, text, issue, document_type, masked_id) -> tuple | None:
        """The resident columns checked after the identity (:meth:`_resident`): ``(extra fields, flags,
        guardian)``, or None when the guardian column refuses the row; every problem is an issue.
        ``document_type`` is the row's document type (a person without one needs a guardian)."""
        extra = {}
        if "relation" in values:
            extra["relation"] = self._choice("relation", text.get("relation", ""), issue, OTHER_RELATION)
        if "residence_status" in values:
            extra["residence_status"] = self._choice(
                "residence_status", text.get("residence_status", ""), issue, REGISTERED
            )
        if address := text.get("registration_address"):
            if problem := text_problem(address):
                issue("registration_address", problem)
            else:
                extra["registration_address"] = address
        flag_texts = tuple([text[name] for name in self.flag_columns])
        flags = self._flags.get(flag_texts)
        if flags is None:
            flags = self._flags[flag_texts] = self._parse_flags(flag_texts)
        for name in flags[1]:
            issue(name, not_accepted(COLUMNS_BY_KEY[name].label, shown_value(text[name]), flag_values()))
        guardian = None
        guardian_text = text.get("guardian_id", "")
        if document_type == NO_DOCUMENT and not masked_id:
            if not guardian_text:
                issue("guardian_id", _("a person without a document needs a guardian's ID number"))
                return None
            if _is_masked(guardian_text):
                guardian = ("masked", guardian_text)
            else:
                from lianfang.core import idnumber  # noqa: PLC0415

                try:
                    guardian = ("hash", document_hash(idnumber.parse(guardian_text).number, RESIDENT_ID))
                except idnumber.IdNumberError as exc:
                    issue("guardian_id", exc)
                    return None
                raw_guardian = values["guardian_id"]
                if raw_guardian is not guardian_text and folded_from_full_width(raw_guardian, guardian_text):
                    issue("guardian_id", full_width_warning(), "warning", as_typed=True)
        return extra, flags, guardian

    def _check_elsewhere(self) -> None:
        """Residents new to the target whose ID already lives outside it: a conflict (chunked IN queries)."""
        fresh = {r.id_hash: r for r in self.plan.residents if r.existing is None and r.id_hash}
        hashes = sorted(fresh)
        conflicts = set()
        # Plain SQL: the ORM spends ~20 ms compiling each 5,000-value IN list.
        sql = 'SELECT "id_hash" FROM "{table}" WHERE "id_hash" IN ({params})'
        with connection.cursor() as cursor:
            for start in range(0, len(hashes), 5_000):
                chunk = hashes[start : start + 5_000]
                cursor.execute(sql.format(table=Resident._meta.db_table, params=", ".join(["%s"] * len(chunk))), chunk)
                conflicts.update(row[0] for row in cursor.fetchall())
        if not conflicts:
            return
        for id_hash in sorted(conflicts):
            sheet, row = fresh[id_hash].ref
            self.plan.issues.append(
                Issue(
                    sheet,
                    row,
                    self.label(sheet, "id_number"),
                    pii.mask_id(fresh[id_hash].data.document_number),
                    # No address: the other household may lie outside the importer's scope.
                    _("this person is already registered in another household outside this import; move them first"),
                )
            )
        self.plan.residents = [r for r in self.plan.residents if r.id_hash not in conflicts]

    def _resolve_guardians(self, existing) -> None:
        """Turn guardian references into resident plans/rows; check households; derive conflicts."""
        by_hash = {r.id_hash: r for r in self.plan.residents if r.id_hash}
        kept = []
        for resident in self.plan.residents:
            sheet, row = resident.ref or ("", 0)
            if resident.guardian is not None:
                kind, value = resident.guardian
                if kind == "hash":
                    target = by_hash.get(value) or existing["by_hash"].get(value)
                    if target is None:
                        self.plan.issues.append(
                            Issue(sheet, row, self.label(sheet, "guardian_id"), "", _("guardian not found"))
                        )
                        continue
                    resident.guardian = target
                else:
                    current = resident.existing
                    guardian_row = existing["by_id"].get(current["guardian_id"]) if current else None
                    if guardian_row is None or guardian_row["id_masked"] != value:
                        self.plan.issues.append(
                            Issue(
                                sheet,
                                row,
                                self.label(sheet, "guardian_id"),
                                value,
                                _("a masked guardian ID number only matches the exported guardian"),
                            )
                        )
                        continue
                    resident.guardian = guardian_row
            kept.append(resident)
        self.plan.residents = kept
        # A person without a document is matched by household, name and birth date.
        undocumented = {
            (row["household_id"], row["name"], row["birth_date"]): row
            for row in existing["by_id"].values()
            if row["document_type"] == NO_DOCUMENT
        }
        for resident in kept:
            if resident.existing is None and not resident.id_hash and resident.household.existing is not None:
                key = (resident.household.existing["id"], resident.data.name, resident.data.birth_date)
                resident.existing = undocumented.get(key)
        for resident in kept:
            current = resident.existing
            if current is None:
                continue
            household = resident.household
            if household.existing is None or household.existing["id"] != current["household_id"]:
                sheet, row = resident.ref
                address = next(
                    (h["address"] for h in existing["households"].values() if h["id"] == current["household_id"]), ""
                )
                self.plan.issues.append(
                    Issue(
                        sheet,
                        row,
                        self.label(sheet, "id_number"),
                        "",
                        _("this person already lives in another household (%(address)s); move them first")
                        % {"address": address},
                    )
                )
                continue
            resident.changes = self._resident_changes(resident, current)

    def _resident_changes(self, resident: ResidentPlan, current: dict) -> dict | None:
        data = resident.data
        wanted = {
            "name": data.name,
            "document_type": data.document_type,
            "sex": data.sex,
            "birth_date": data.birth_date,
            **dict(resident.extra),
            **dict(resident.flags),
        }
        changes = {k: v for k, v in wanted.items() if current[k] != v}
        if "name" in changes:
            changes["name_initials"] = name_initials(data.name)
        if data.phone and pii.lookup_hash("phone", data.phone) != current["phone_hash"]:
            changes["phone"] = data.phone
        if resident.phone_masked and resident.phone_masked != current["phone_masked"]:
            sheet, row = resident.ref
            self.plan.issues.append(
                Issue(
                    sheet,
                    row,
                    str(COLUMNS_BY_KEY["phone"].label),
                    resident.phone_masked,
                    _("a masked phone number only matches the stored one"),
                )
            )
        guardian = resident.guardian
        if isinstance(guardian, dict) and guardian["id"] != current["guardian_id"]:
            changes["guardian_id"] = guardian["id"]
        if changes and current["is_deceased"]:
            sheet, row = resident.ref
            self.plan.issues.append(
                Issue(
                    sheet,
                    row,
                    "",
                    data.name,
                    _("recorded as deceased: the import leaves this person unchanged"),
                    "warning",
                )
            )
            return None
        return changes or None

    def _household_contacts(self) -> None:
        """Contact and phone of new households default to the head's row; changes of existing ones."""
        heads = {}
        for resident in self.plan.residents:
            if dict(resident.extra).get("relation") == HEAD:
                heads.setdefault(resident.household.key, resident)
        for household in self.plan.households.values():
            head = heads.get(household.key)
            if household.existing is None:
                if not household.contact_name and head is not None:
                    household.contact_name = head.data.name
                if not household.phone and head is not None:
                    household.phone = head.data.phone
                continue
            current = household.existing
            changes = {}
            if household.contact_name and household.contact_name != current["contact_name"]:
                changes["contact_name"] = household.contact_name
            if household.phone and pii.lookup_hash("phone", household.phone) != current["phone_hash"]:
                changes["phone"] = household.phone
            if household.phone_masked and household.phone_masked != current["phone_masked"]:
                sheet, row = household.ref
                self.plan.issues.append(
                    Issue(
                        sheet,
                        row,
                        self.label(sheet, "household_phone"),
                        household.phone_masked,
                        _("a masked phone number only matches the stored one"),
                    )
                )
            household.changes = changes or None


def shown_value(value: object) -> str:
    """The cell text of ``value`` for an issue: at most SHOWN_VALUE_CHARS characters, then ``…``; an
    invisible character (:func:`visible`) shown by its code."""
    text = cell_text(value)
    if len(text) > SHOWN_VALUE_CHARS:
        return visible(text[:SHOWN_VALUE_CHARS]) + "…"
    return visible(text)


def visible(text: str) -> str:
    """``text`` with each control or invisible format character (Unicode categories Cc and Cf) written
    as its code in angle brackets: ``"张\u200b三"`` → ``"张<U+200B>三"``, so that the import report shows
    what a refused cell holds (a right-to-left override U+202E would otherwise reverse the value on
    the page, a zero-width space hide). Raises nothing."""
    if text.isprintable():  # the usual cell: no Cc or Cf character (nor any other non-printable one)
        return text
    category = unicodedata.category
    return "".join(f"<U+{ord(c):04X}>" if category(c) in ("Cc", "Cf") else c for c in text)


def typed_value(value: object) -> str:
    """``value`` as the file holds it (not folded by NFKC, unlike :func:`shown_value`), stripped and cut
    at SHOWN_VALUE_CHARS characters: the value of a warning about what the folding changed."""
    text = str(value).strip()
    return text[:SHOWN_VALUE_CHARS] + "…" if len(text) > SHOWN_VALUE_CHARS else text


def _strip_value(message: str) -> str:
    """validate_resident appends the refused value to some messages (core.fielderrors.reason_with_value:
    ``: “value”``, in zh-Hans ``：“value”``); the report has its own value column."""
    return re.sub(r"(?:: |：)(?:“[^”]*”|'[^']*'|[\d.e+-]+)$", "", str(message))


def plan_import(
    *,
    target: Division,
    data: bytes,
    file_name: str,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
) -> Plan:
    """Read and validate a whole file for ``target`` (a community, or a street/district) without writing.

    Returns a Plan whose ``issues`` list every error and warning. Raises ImportFileError when the
    file cannot be read at all.
    """
    file_format = detect_format(file_name)
    if progress:
        progress("read", 0, 0)
    sheets, encoding = read_sheets(data, file_format, Path(file_name).name)
    validator = Validator(target, file_format, today=today or timezone.localdate(), progress=progress)
    plan = validator.run(sheets)
    plan.encoding = encoding
    return plan
