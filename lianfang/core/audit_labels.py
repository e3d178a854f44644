"""Translated labels of the audit log's action codes (``AuditEntry.action``), for the audit page and
the admin list (message context "audit action": short past-tense labels, apart from the same
English words used elsewhere as buttons or statuses). A code missing here is shown by its app's
name and the code, never silently hidden. No two codes share a label in either language (the action
filter lists each once: new-user trial, two codes read 登记检测结果)."""

from __future__ import annotations

import functools

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import field_line, items_line

ACTION_LABELS: dict[str, object] = {
    # generic (any app)
    "create": pgettext_lazy("audit action", "Created"),
    "update": pgettext_lazy("audit action", "Changed"),
    "status": pgettext_lazy("audit action", "Status changed"),
    "view_pii": pgettext_lazy("audit action", "Viewed unmasked ID or phone number"),
    "export": pgettext_lazy("audit action", "Exported personal data"),
    "import": pgettext_lazy("audit action", "Imported"),
    "import_queued": pgettext_lazy("audit action", "Import queued"),
    "import_rollback": pgettext_lazy("audit action", "Import rolled back"),
    "login": pgettext_lazy("audit action", "Signed in"),
    "login_locked": pgettext_lazy("audit action", "Sign-in locked after failed passwords"),
    "link": pgettext_lazy("audit action", "Linked"),
    "link_user": pgettext_lazy("audit action", "Linked a user account"),
    "assign": pgettext_lazy("audit action", "Assigned"),
    "hand_over": pgettext_lazy("audit action", "Responsibilities handed over"),
    "handoff": pgettext_lazy("audit action", "Service request handed off"),
    "confirm": pgettext_lazy("audit action", "Confirmed"),
    "end": pgettext_lazy("audit action", "Ended"),
    "note": pgettext_lazy("audit action", "Note added"),
    "read": pgettext_lazy("audit action", "Read"),
    "triage": pgettext_lazy("audit action", "Triaged"),
    "escalate": pgettext_lazy("audit action", "Service request escalated"),
    "check_in": pgettext_lazy("audit action", "Checked in"),
    "pass_check": pgettext_lazy("audit action", "Exit pass checked"),
    "care_tasks": pgettext_lazy("audit action", "Care tasks planned"),
    "token_issue": pgettext_lazy("audit action", "Access token issued"),
    "token_revoke": pgettext_lazy("audit action", "Access token revoked"),
    "view_token": pgettext_lazy("audit action", "Viewed an access token"),
    "gap_fill_confirm": pgettext_lazy("audit action", "Grid gaps filled"),
    "load_divisions": pgettext_lazy("audit action", "Divisions loaded"),
    "generate_population": pgettext_lazy("audit action", "Population generated"),
    "generate_workforce": pgettext_lazy("audit action", "Workforce generated"),
    # registry
    "registry.search": pgettext_lazy("audit action", "Searched people"),
    "registry.household_update": pgettext_lazy("audit action", "Household changed"),
    # workforce
    "workforce.sheet_export": pgettext_lazy("audit action", "Workforce sheet downloaded (counts only)"),
    "reports.export": pgettext_lazy("audit action", "Report downloaded (counts only)"),
    # zones
    "zones.operation_open": pgettext_lazy("audit action", "Operation opened"),
    "zones.operation_close": pgettext_lazy("audit action", "Operation closed"),
    "zones.infection_record": pgettext_lazy("audit action", "Infection recorded"),
    "zones.area_propose": pgettext_lazy("audit action", "Control area proposed"),
    "zones.area_approve": pgettext_lazy("audit action", "Control area approved"),
    "zones.area_withdraw": pgettext_lazy("audit action", "Control area proposal withdrawn"),
    "zones.area_lift": pgettext_lazy("audit action", "Control area lifted"),
    "zones.area_downgraded": pgettext_lazy("audit action", "Control area downgraded"),
    "zones.area_upgraded": pgettext_lazy("audit action", "Control area upgraded"),
    "zones.area_nodes": pgettext_lazy("audit action", "Control area redrawn"),
    "zones.evidence_add": pgettext_lazy("audit action", "Evidence added"),
    "zones.rule_set_copy": pgettext_lazy("audit action", "Rule set copied"),
    "zones.rule_set_update": pgettext_lazy("audit action", "Rule set changed"),
    "zones.rule_set_change": pgettext_lazy("audit action", "Operation's rule set changed"),
    "zones.tick": pgettext_lazy("audit action", "Control area clocks updated"),
    # screening
    "screening.round_open": pgettext_lazy("audit action", "Testing round opened"),
    "screening.round_close": pgettext_lazy("audit action", "Testing round closed"),
    "screening.round_sync": pgettext_lazy("audit action", "Testing round members updated"),
    "screening.sample": pgettext_lazy("audit action", "Sample taken"),
    "screening.tube_close": pgettext_lazy("audit action", "Tube closed"),
    "screening.results": pgettext_lazy("audit action", "Lab results imported"),
    "screening.samples_ingest": pgettext_lazy("audit action", "Samples received"),
    "screening.task_assign": pgettext_lazy("audit action", "Sampling task assigned"),
    "screening.step_done": pgettext_lazy("audit action", "Follow-up step done"),
    "screening.member_exempt": pgettext_lazy("audit action", "Person exempted from the round"),
    "screening.hand_over": pgettext_lazy("audit action", "Tubes handed over"),
    "screening.follow_up_open": pgettext_lazy("audit action", "Follow-up opened"),
    "screening.follow_up_close": pgettext_lazy("audit action", "Follow-up closed"),
    "screening.exception_resolve": pgettext_lazy("audit action", "Exception resolved"),
    "screening.escalate": pgettext_lazy("audit action", "Overdue follow-up step escalated"),
    # field operations
    "fieldops.gate_create": pgettext_lazy("audit action", "Gate added"),
    "fieldops.gate_open": pgettext_lazy("audit action", "Gate opened"),
    "fieldops.passage": pgettext_lazy("audit action", "Passage at a gate"),
    "fieldops.roster_generate": pgettext_lazy("audit action", "Duty roster made"),
    "fieldops.shift_assign": pgettext_lazy("audit action", "Duty shift assigned"),
    "fieldops.shift_check_in": pgettext_lazy("audit action", "Duty check-in"),
    "fieldops.shift_check_out": pgettext_lazy("audit action", "Duty check-out"),
    "fieldops.shift_missed": pgettext_lazy("audit action", "Duty shift missed"),
    "fieldops.schedule_create": pgettext_lazy("audit action", "Schedule created"),
    "fieldops.schedules_generate": pgettext_lazy("audit action", "Schedules made"),
    "fieldops.checkpoint_create": pgettext_lazy("audit action", "Patrol checkpoint added"),
    "fieldops.patrol_start": pgettext_lazy("audit action", "Patrol started"),
    "fieldops.patrol_scan": pgettext_lazy("audit action", "Patrol checkpoint scanned"),
    "fieldops.patrol_finish": pgettext_lazy("audit action", "Patrol finished"),
    "fieldops.person_create": pgettext_lazy("audit action", "Screened person added"),
    "fieldops.person_verify": pgettext_lazy("audit action", "Screened person verified"),
    "fieldops.person_status": pgettext_lazy("audit action", "Screened person's status changed"),
    "fieldops.exposure": pgettext_lazy("audit action", "Exposure recorded"),
    "fieldops.screening_import": pgettext_lazy("audit action", "Screening list imported"),
    "fieldops.transfer_hand_over": pgettext_lazy("audit action", "Transfer handed over"),
    "fieldops.test_result": pgettext_lazy("audit action", "Quarantine test result recorded"),
    "fieldops.monitoring_start": pgettext_lazy("audit action", "Health monitoring started"),
    "fieldops.monitoring_end": pgettext_lazy("audit action", "Health monitoring ended"),
    "fieldops.health_check_in": pgettext_lazy("audit action", "Health check-in"),
    "fieldops.disinfection": pgettext_lazy("audit action", "Disinfection recorded"),
    "fieldops.notice_create": pgettext_lazy("audit action", "Notice drafted"),
    "fieldops.notice_publish": pgettext_lazy("audit action", "Notice published"),
    "fieldops.notice_withdraw": pgettext_lazy("audit action", "Notice withdrawn"),
    "fieldops.channel_create": pgettext_lazy("audit action", "Notification channel added"),
    "fieldops.channel_enable": pgettext_lazy("audit action", "Notification channel switched"),
    "fieldops.bulk_request": pgettext_lazy("audit action", "Bulk change requested"),
    "fieldops.bulk_approve": pgettext_lazy("audit action", "Bulk change approved"),
    "fieldops.bulk_reject": pgettext_lazy("audit action", "Bulk change rejected"),
    "fieldops.alert": pgettext_lazy("audit action", "Alert raised"),
    "fieldops.alert_ack": pgettext_lazy("audit action", "Alert acknowledged"),
    # reports
    "reports.close": pgettext_lazy("audit action", "Daily report closed"),
    "reports.reopen": pgettext_lazy("audit action", "Daily report reopened"),
    "reports.layout_save": pgettext_lazy("audit action", "Report layout saved"),
}


def action_label(code: str) -> str:
    """The reader's-language label of an audit action code: ``"view_pii"`` → "Viewed unmasked ID or
    phone number"; an unlisted ``"<app>.<verb>"`` → "<app's name>: <verb>" (core.forms.field_line: "管控区域：
    <verb>" in zh-Hans); else the code itself."""
    from lianfang.core.forms import field_line  # noqa: PLC0415 (forms imports models, which import this)

    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    app_label, _dot, verb = code.partition(".")
    if verb:
        try:
            return field_line(apps.get_app_config(app_label).verbose_name, verb)
        except LookupError:
            pass
    return code


def action_choices(codes) -> list[tuple[str, str]]:
    """``[(code, label)]`` for ``codes`` (e.g. the codes present in the log), sorted by label."""
    return sorted(((c, action_label(c)) for c in codes), key=lambda pair: pair[1])


# The keys of ``AuditEntry.detail`` written by the apps' services (``audit.record(detail=...)``), as
# short translated nouns (message context "audit detail"). An unlisted key is shown as it is.
DETAIL_LABELS: dict[str, object] = {
    "abnormal": pgettext_lazy("audit detail", "Abnormal"),
    "added": pgettext_lazy("audit detail", "Added"),
    "all_negative": pgettext_lazy("audit detail", "All negative"),
    "already": pgettext_lazy("audit detail", "Already recorded"),
    "applied": pgettext_lazy("audit detail", "Applied"),
    "assignments_created": pgettext_lazy("audit detail", "Assignments created"),
    "assignments_l1": pgettext_lazy("audit detail", "Level 1 assignments"),
    "assignments_l2": pgettext_lazy("audit detail", "Level 2 assignments"),
    "assignments_l3": pgettext_lazy("audit detail", "Level 3 assignments"),
    "assignments_l4": pgettext_lazy("audit detail", "Level 4 assignments"),
    "at": pgettext_lazy("audit detail", "At"),
    "based_on": pgettext_lazy("audit detail", "Based on"),
    "batch": pgettext_lazy("audit detail", "Import batch"),
    "blank_rows": pgettext_lazy("audit detail", "Blank rows"),
    "categories": pgettext_lazy("audit detail", "Categories"),
    "category": pgettext_lazy("audit detail", "Category"),
    "channel": pgettext_lazy("audit detail", "Channel"),
    "check_in": pgettext_lazy("audit detail", "Check-in"),
    "cleared": pgettext_lazy("audit detail", "Cleared"),
    "closed_figures": pgettext_lazy("audit detail", "Figures at closing"),
    "columns": pgettext_lazy("audit detail", "Columns"),
    "control_area": pgettext_lazy("audit detail", "Control area"),
    "counted_on": pgettext_lazy("audit detail", "Counted on"),
    "created": pgettext_lazy("audit detail", "Created"),
    "day": pgettext_lazy("audit detail", "Day"),
    "deadline": pgettext_lazy("audit detail", "Deadline"),
    "decision": pgettext_lazy("audit detail", "Decision"),
    "deliveries": pgettext_lazy("audit detail", "Deliveries"),
    "deployments": pgettext_lazy("audit detail", "Deployments"),
    "destination": pgettext_lazy("audit detail", "Destination"),
    "detected_on": pgettext_lazy("audit detail", "Detected on"),
    "direction": pgettext_lazy("audit detail", "Direction"),
    "dose_per_day": pgettext_lazy("audit detail", "Dose per day"),
    "downgrades": pgettext_lazy("audit detail", "Downgrades"),
    "dry_run": pgettext_lazy("audit detail", "Dry run"),
    "due_at": pgettext_lazy("audit detail", "Due at"),
    "duplicates": pgettext_lazy("audit detail", "Duplicates"),
    "enabled": pgettext_lazy("audit detail", "Enabled"),
    "ends_at": pgettext_lazy("audit detail", "Ends at"),
    "errors": pgettext_lazy("audit detail", "Errors"),
    "evidence": pgettext_lazy("audit detail", "Evidence"),
    "expected": pgettext_lazy("audit detail", "Expected"),
    "exposure_updated": pgettext_lazy("audit detail", "Exposure updated"),
    "failing": pgettext_lazy("audit detail", "Not met"),
    "failures": pgettext_lazy("audit detail", "Failed sign-ins"),
    "field": pgettext_lazy("audit detail", "Field"),
    "file": pgettext_lazy("audit detail", "File"),
    "filed_by": pgettext_lazy("audit detail", "Filed by"),
    "format": pgettext_lazy("audit detail", "Format"),
    "from": pgettext_lazy("audit detail", "From"),
    "gap_households": pgettext_lazy("audit detail", "Households without a worker"),
    "gates": pgettext_lazy("audit detail", "Gates"),
    "guard": pgettext_lazy("audit detail", "Guard"),
    "handed": pgettext_lazy("audit detail", "Tubes handed over"),
    "held": pgettext_lazy("audit detail", "Held"),
    "hint": pgettext_lazy("audit detail", "Hint"),
    "households": pgettext_lazy("audit detail", "Households"),
    "households_created": pgettext_lazy("audit detail", "Households created"),
    "households_unchanged": pgettext_lazy("audit detail", "Households unchanged"),
    "households_updated": pgettext_lazy("audit detail", "Households changed"),
    "inserted": pgettext_lazy("audit detail", "Inserted"),
    "intake": pgettext_lazy("audit detail", "Intake"),
    "ip_address": pgettext_lazy("audit detail", "Network address"),
    "items": pgettext_lazy("audit detail", "Items"),
    "key": pgettext_lazy("audit detail", "Key"),
    "kind": pgettext_lazy("audit detail", "Kind"),
    "lab": pgettext_lazy("audit detail", "Lab"),
    "language": pgettext_lazy("audit detail", "Language"),
    "level": pgettext_lazy("audit detail", "Level"),
    "lifts_due": pgettext_lazy("audit detail", "Lifts due"),
    "lines": pgettext_lazy("audit detail", "Lines"),
    "members": pgettext_lazy("audit detail", "Members"),
    "missed": pgettext_lazy("audit detail", "Missed"),
    "missing": pgettext_lazy("audit detail", "Missing"),
    "mode": pgettext_lazy("audit detail", "Mode"),
    "monitoring": pgettext_lazy("audit detail", "Monitoring"),
    "needs_verification": pgettext_lazy("audit detail", "Needs verification"),
    "nodes": pgettext_lazy("audit detail", "Places"),
    "note": pgettext_lazy("audit detail", "Note"),
    "notices": pgettext_lazy("audit detail", "Notices"),
    "notification": pgettext_lazy("audit detail", "Notification"),
    "number": pgettext_lazy("audit detail", "Number"),
    "on": pgettext_lazy("audit detail", "On"),
    "overloaded_representatives": pgettext_lazy("audit detail", "Overloaded representatives"),
    "override": pgettext_lazy("audit detail", "Override"),
    "pass": pgettext_lazy("audit detail", "Pass"),
    "people": pgettext_lazy("audit detail", "People"),
    "person": pgettext_lazy("audit detail", "Person"),
    "places": pgettext_lazy("audit detail", "Places"),
    "plan": pgettext_lazy("audit detail", "Plan"),
    "population": pgettext_lazy("audit detail", "Population"),
    "post": pgettext_lazy("audit detail", "Post"),
    "precision": pgettext_lazy("audit detail", "Precision"),
    "priority": pgettext_lazy("audit detail", "Priority"),
    "public": pgettext_lazy("audit detail", "Public"),
    "purpose": pgettext_lazy("audit detail", "Purpose"),
    "query": pgettext_lazy("audit detail", "Searched for"),
    "reason": pgettext_lazy("audit detail", "Reason"),
    "reason_code": pgettext_lazy("audit detail", "Reason code"),
    "reference": pgettext_lazy("audit detail", "Reference"),
    "refreshed": pgettext_lazy("audit detail", "Refreshed"),
    "rejected": pgettext_lazy("audit detail", "Rejected"),
    "removed": pgettext_lazy("audit detail", "Removed"),
    "request": pgettext_lazy("audit detail", "Request"),
    "resident": pgettext_lazy("audit detail", "Resident"),
    "residents": pgettext_lazy("audit detail", "Residents"),
    "residents_created": pgettext_lazy("audit detail", "Residents created"),
    "residents_unchanged": pgettext_lazy("audit detail", "Residents unchanged"),
    "residents_updated": pgettext_lazy("audit detail", "Residents changed"),
    "restored": pgettext_lazy("audit detail", "Restored"),
    "result": pgettext_lazy("audit detail", "Result"),
    "results": pgettext_lazy("audit detail", "Results"),
    "role": pgettext_lazy("audit detail", "Role"),
    "round": pgettext_lazy("audit detail", "Testing round"),
    "routed_worker": pgettext_lazy("audit detail", "Routed to worker"),
    "rows": pgettext_lazy("audit detail", "Rows"),
    "rule_set": pgettext_lazy("audit detail", "Rule set"),
    "same_file_as": pgettext_lazy("audit detail", "Same file as import"),
    "scale": pgettext_lazy("audit detail", "Scale"),
    "schedule": pgettext_lazy("audit detail", "Schedule"),
    "seed": pgettext_lazy("audit detail", "Seed"),
    "sha256": pgettext_lazy("audit detail", "File checksum (SHA-256)"),
    "shift": pgettext_lazy("audit detail", "Duty shift"),
    "source": pgettext_lazy("audit detail", "Source"),
    "started_at": pgettext_lazy("audit detail", "Started at"),
    "starts_at": pgettext_lazy("audit detail", "Starts at"),
    "stock": pgettext_lazy("audit detail", "Stock"),
    "successor": pgettext_lazy("audit detail", "Successor"),
    "symptoms": pgettext_lazy("audit detail", "Symptoms"),
    "team": pgettext_lazy("audit detail", "Team"),
    "teams": pgettext_lazy("audit detail", "Teams"),
    "temperature": pgettext_lazy("audit detail", "Temperature"),
    "threshold": pgettext_lazy("audit detail", "Threshold"),
    "ticket": pgettext_lazy("audit detail", "Ticket"),
    "tier": pgettext_lazy("audit detail", "Tier"),
    "tightened": pgettext_lazy("audit detail", "Tightened"),
    "to": pgettext_lazy("audit detail", "To"),
    "to_name": pgettext_lazy("audit detail", "To (name)"),
    "transferred_out": pgettext_lazy("audit detail", "Transferred out"),
    "tube": pgettext_lazy("audit detail", "Tube"),
    "unchanged": pgettext_lazy("audit detail", "Unchanged"),
    "unknown": pgettext_lazy("audit detail", "Unknown"),
    "unmasked": pgettext_lazy("audit detail", "Unmasked"),
    "unregistered": pgettext_lazy("audit detail", "Unregistered"),
    "until": pgettext_lazy("audit detail", "Locked until"),
    "updated": pgettext_lazy("audit detail", "Updated"),
    "upgrades": pgettext_lazy("audit detail", "Upgrades"),
    "user": pgettext_lazy("audit detail", "User"),
    "valid": pgettext_lazy("audit detail", "Valid"),
    "via": pgettext_lazy("audit detail", "Via"),
    "warnings": pgettext_lazy("audit detail", "Warnings"),
    "what": pgettext_lazy("audit detail", "What"),
    "where": pgettext_lazy("audit detail", "Where"),
    "windows": pgettext_lazy("audit detail", "Time windows"),
    # the look-up parameters of a search (registry.services.RESIDENT_SEARCH_PARAMS), inside "query"
    "q": pgettext_lazy("audit detail", "Search text"),
    "search": pgettext_lazy("audit detail", "Search text"),
    "id_number": pgettext_lazy("audit detail", "ID number"),
    "phone": pgettext_lazy("audit detail", "Phone number"),
    "worker": pgettext_lazy("audit detail", "Worker"),
    "workers": pgettext_lazy("audit detail", "Workers"),
    "workers_created": pgettext_lazy("audit detail", "Workers created"),
    "workers_unchanged": pgettext_lazy("audit detail", "Workers unchanged"),
    "areas": pgettext_lazy("audit detail", "Control areas"),
    "check_in_readings": pgettext_lazy("audit detail", "Check-in readings"),
    "check_ins": pgettext_lazy("audit detail", "Check-ins"),
    "contacts": pgettext_lazy("audit detail", "Contacts"),
    "disinfections": pgettext_lazy("audit detail", "Disinfections"),
    "exit_passes": pgettext_lazy("audit detail", "Exit passes"),
    "missed_check_ins": pgettext_lazy("audit detail", "Missed check-ins"),
    "patrols": pgettext_lazy("audit detail", "Patrols"),
    "requests": pgettext_lazy("audit detail", "Service requests"),
    "samples": pgettext_lazy("audit detail", "Samples"),
    "shifts": pgettext_lazy("audit detail", "Duty shifts"),
    "tubes": pgettext_lazy("audit detail", "Tubes"),
}


# Codes some services store in AuditEntry.reason instead of a reader's written reason, beyond the
# choices of :data:`REASON_CHOICES` (reason_label tries those of the entry's own app first).
REASON_LABELS: dict[str, object] = {
    "import_report": pgettext_lazy("audit reason", "Import error report downloaded"),
    "positive_pool": pgettext_lazy("audit reason", "Positive pooled sample"),
    "acknowledged": pgettext_lazy("audit reason", "Alert acknowledged"),
    "no_check_in": pgettext_lazy("audit reason", "No check-in"),
    "revoked": pgettext_lazy("audit reason", "Revoked"),
    "closed": pgettext_lazy("audit reason", "Closed"),
    "rollback": pgettext_lazy("audit reason", "Import rolled back (no reason given)"),
    "lifted": pgettext_lazy("audit reason", "Exemption lifted"),
    "finished": pgettext_lazy("audit reason", "Finished by the guard"),
    "timed_out": pgettext_lazy("audit reason", "Not finished in time: closed automatically"),
}


# Code values of some detail keys, shown by their labels: which personal field was revealed
# (registry.services.reveal) and which page or API answered a search (registry.services.record_search).
VALUE_LABELS: dict[str, dict[str, object]] = {
    "field": {
        "id": pgettext_lazy("audit detail", "ID number"),
        "phone": pgettext_lazy("audit detail", "Phone number"),
    },
    "source": {"daily": pgettext_lazy("audit detail", "Daily report")},
    "what": {"timeline": pgettext_lazy("audit detail", "Ticket timeline")},
    "where": {
        "page:registry.search": pgettext_lazy("audit where", "People search page"),
        "page:registry.residents": pgettext_lazy("audit where", "Residents page"),
        "page:screening.station_search": pgettext_lazy("audit where", "Sampling desk page"),
        "page:fieldops.gate": pgettext_lazy("audit where", "Gate page"),
        "page:fieldops.people": pgettext_lazy("audit where", "Screened people page"),
        "page:zones.resident_search": pgettext_lazy("audit where", "Control area resident search"),
        "page:workforce.workers": pgettext_lazy("audit where", "Workers page"),
        "api:residents": pgettext_lazy("audit where", "Residents API"),
        "api:fieldops-people": pgettext_lazy("audit where", "Screened people API"),
        "api:workforce-workers": pgettext_lazy("audit where", "Workers API"),
    },
}


# Object types that name no model: what an entry is about when it is not a row (audit.record's
# ``object_type``), by a reader's name (message context "audit object").
OBJECT_LABELS: dict[str, object] = {
    "workforce.sheet": pgettext_lazy("audit object", "Workforce daily sheet"),
}


def object_type_label(object_type: str) -> str:
    """``"app_label.model"`` as the model's translated name, its first letter capitalised (住户 /
    "Household" for registry.household: a label, never "household"); a type of
    :data:`OBJECT_LABELS` by its label (工作力量日报表 for workforce.sheet); "" for none; the code itself
    for a model that no longer exists."""
    if not object_type:
        return ""
    label = OBJECT_LABELS.get(object_type)
    if label is not None:
        return str(label)
    try:
        return capfirst(str(apps.get_model(object_type)._meta.verbose_name))
    except (LookupError, ValueError):
        return object_type


# The object id of the daily report's exports (reports.views.daily_export), which has no layout row.
DAILY_REPORT_KEY = "daily-report"


def where_label(code: str) -> str:
    """Where a search was answered, as a reader reads it: ``"page:fieldops.gate"`` → "Gate page"
    (VALUE_LABELS); ``"admin:registry.household"`` → "Admin: Households" (the model's plural name); an
    unlisted ``"page:<app>.<view>"`` or ``"api:<name>"`` → "<app's name>: <view>" or "API: <name>";
    anything else (a place's name) as it is."""
    label = VALUE_LABELS["where"].get(code)
    if label is not None:
        return str(label)
    kind, _colon, name = code.partition(":")
    if kind == "admin":
        try:
            plural = apps.get_model(name)._meta.verbose_name_plural
        except (LookupError, ValueError):
            plural = name
        return field_line(pgettext_lazy("audit where", "Admin"), plural)
    if kind == "page":
        app_label, _dot, view = name.partition(".")
        try:
            return field_line(apps.get_app_config(app_label).verbose_name, view)
        except LookupError:
            return code
    if kind == "api":
        return field_line(pgettext_lazy("audit where", "API"), name)
    return code


# The choice enums (``models.TextChoices``, by dotted path) whose values the apps' services store as
# ``AuditEntry.reason`` (``audit.record(reason=...)``: a status change's reason code, a gate decision's
# reason, a test result, a step's kind ...), by app label; their translated labels are the reasons'.
REASON_CHOICES: dict[str, tuple[str, ...]] = {
    "screening": ("lianfang.screening.models.ReasonCode", "lianfang.screening.models.StepKind"),
    "fieldops": (
        "lianfang.fieldops.models.StatusReason",
        "lianfang.fieldops.models.GateReason",
        "lianfang.fieldops.models.TestResult",
    ),
    "workforce": ("lianfang.workforce.models.EndReason",),
    "assistance": (
        "lianfang.assistance.models.EventKind",
        "lianfang.assistance.models.Outcome",
        "lianfang.assistance.models.DeliveryStatus",
    ),
    "zones": ("lianfang.zones.models.ReasonCode", "lianfang.zones.models.AreaReason"),
    "reports": ("lianfang.reports.models.ReasonCode",),
}


@functools.cache
def _reason_choices(app_label: str) -> dict[str, object]:
    """``{code: lazy label}`` of the enums of :data:`REASON_CHOICES` for ``app_label`` (the first
    enum listed wins a code two of them share)."""
    choices: dict[str, object] = {}
    for path in reversed(REASON_CHOICES.get(app_label, ())):
        choices.update(import_string(path).choices)
    return choices


def _reason_code_label(code: str, app_label: str):
    """The lazy label of one reason code, or None: the entry's own app's enums first (``closed`` is
    "核对无误并关闭" on a daily report, "已结案" on a ticket), then :data:`REASON_LABELS`, then any app's."""
    label = _reason_choices(app_label).get(code) if app_label else None
    if label is None:
        label = REASON_LABELS.get(code)
    for other in REASON_CHOICES if label is None else ():
        label = _reason_choices(other).get(code)
        if label is not None:
            break
    return label


def entry_app_label(object_type: str = "", action: str = "") -> str:
    """The app an audit entry comes from: the app of its ``object_type`` (``"assistance.ticket"`` →
    ``"assistance"``), else of an ``"<app>.<verb>"`` action; "" when neither names one."""
    if "." in object_type:
        return object_type.partition(".")[0]
    if "." in action:
        return action.partition(".")[0]
    return ""


def reason_label(reason: str, object_type: str = "", action: str = "") -> str:
    """``AuditEntry.reason`` as shown: a reason code by its translated label (the choices of the
    entry's app, :data:`REASON_CHOICES`, e.g. ``accepted`` on an ``assistance.ticket`` → "已受理"; or
    :data:`REASON_LABELS`, e.g. ``import_report`` → "下载导入问题报告"); ``"<code>: <note>"`` (a code with
    the note a person wrote, e.g. ``"withdrawn: 重复"``) as "<label>：<note>" (core.forms.field_line); a
    reason a person wrote as written."""
    app_label = entry_app_label(object_type, action)
    label = _reason_code_label(reason, app_label)
    if label is not None:
        return str(label)
    code, sep, note = reason.partition(": ")
    if sep and (label := _reason_code_label(code, app_label)) is not None:
        return field_line(label, note)
    return reason


def object_names(entries) -> dict[tuple[str, str], str]:
    """``{(object_type, object_id): name}`` for the entries whose object is a division (one query),
    ``object_id`` its primary key (a service's record) or its code (the division load):
    ``"西园街道（620103001）"`` (short name and code in the language's brackets, core.forms.bracketed;
    ``"西园街道 (620103001)"`` in English), so the page never reads "区划 #19"; a resident by the
    masked name and number (:func:`_resident_names`: ``"张*（#2）"``, one query). Objects of other types
    are not named (the page shows their type and ``#id``)."""
    from django.db.models import Q  # noqa: PLC0415

    from lianfang.core.forms import bracketed  # noqa: PLC0415 (forms imports models, which import this)

    names = _layout_names(entries) | _resident_names(entries)
    ids = {e.object_id for e in entries if e.object_type == "divisions.division" and e.object_id.isdigit()}
    if not ids:
        return names
    division = apps.get_model("divisions.division")
    rows = division.objects.filter(Q(pk__in=[int(i) for i in ids if len(i) <= 18]) | Q(code__in=ids))
    by_pk, by_code = {}, {}
    for pk, short_name, code in rows.values_list("pk", "short_name", "code"):
        by_pk[str(pk)] = by_code[code] = bracketed(short_name, code)
    for object_id in ids:
        name = by_pk.get(object_id) or by_code.get(object_id)
        if name:
            names[("divisions.division", object_id)] = name
    return names


def _resident_names(entries) -> dict[tuple[str, str], str]:
    """``{("registry.resident", object_id): "张*（#2）"}``: a resident by the masked name
    (core.pii.mask_name) and the number, in one query; ``{}`` without the registry app or residents."""
    from lianfang.core.forms import bracketed  # noqa: PLC0415
    from lianfang.core.pii import mask_name  # noqa: PLC0415

    ids = {e.object_id for e in entries if e.object_type == "registry.resident" and e.object_id.isdigit()}
    ids = {i for i in ids if len(i) <= 18}
    if not ids:
        return {}
    try:
        resident = apps.get_model("registry.resident")
    except LookupError:
        return {}
    rows = resident.objects.filter(pk__in=[int(i) for i in ids]).values_list("pk", "name")
    return {("registry.resident", str(pk)): bracketed(mask_name(name), f"#{pk}") for pk, name in rows}


# Detail keys whose values (a text or a list of texts) are division codes: the nodes of a control area
# or a testing round, an infection's places, a redrawn area's old and new nodes (from/to). A value
# that is the code of a loaded division is shown by its name with the code (division_names).
DIVISION_DETAIL_KEYS = frozenset({"nodes", "places", "from", "to", "division", "within", "destination"})


def _division_code_values(detail) -> set[str]:
    """The texts of ``detail`` under :data:`DIVISION_DETAIL_KEYS` that look like division codes
    (6 to 20 ASCII digits), at the top level and in lists."""
    found = set()
    for key, value in (detail or {}).items() if isinstance(detail, dict) else ():
        if key not in DIVISION_DETAIL_KEYS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and 6 <= len(item) <= 20 and item.isascii() and item.isdigit():
                found.add(item)
    return found


def division_names(entries) -> dict[str, str]:
    """``{code: "西园街道（620103001）"}`` for the division codes in the details of ``entries``
    (:data:`DIVISION_DETAIL_KEYS`): the short name and the code in the language's brackets
    (core.forms.bracketed), one query for the whole page; a code of no loaded division is left out
    (shown as stored)."""
    from lianfang.core.forms import bracketed  # noqa: PLC0415

    codes = set()
    for entry in entries:
        codes |= _division_code_values(entry.detail)
    if not codes:
        return {}
    division = apps.get_model("divisions.division")
    rows = division.objects.filter(code__in=codes).values_list("code", "short_name")
    return {code: bracketed(short_name, code) for code, short_name in rows}


def _layout_names(entries) -> dict[tuple[str, str], str]:
    """``{("reports.reportlayout", object_id): name}``: a report layout (no personal data) by its name
    in the reader's language, ``object_id`` its primary key (the layout's own changes) or its key
    (exports, reports.services.export_record; ``daily-report`` is the daily report itself), so the
    page reads "每日疫情报表", not "#daily-report"."""
    from django.db.models import Q  # noqa: PLC0415
    from django.utils.translation import get_language  # noqa: PLC0415

    ids = {e.object_id for e in entries if e.object_type == "reports.reportlayout" and e.object_id}
    if not ids:
        return {}
    names = {}
    if DAILY_REPORT_KEY in ids:
        names[("reports.reportlayout", DAILY_REPORT_KEY)] = str(pgettext_lazy("audit object", "Daily report"))
    layout = apps.get_model("reports.reportlayout")
    english = (get_language() or "").startswith("en")
    rows = layout.objects.filter(Q(key__in=ids) | Q(pk__in=[int(i) for i in ids if i.isdigit() and len(i) <= 18]))
    for pk, key, name, name_en in rows.values_list("pk", "key", "name", "name_en"):
        shown = (name_en if english and name_en else name) or key
        for object_id in (str(pk), key):
            if object_id in ids:
                names[("reports.reportlayout", object_id)] = shown
    return names


# The first part of a dotted detail key (``tiers.<key>.<field>``, ``rules.<id>.<field>``: a rule set's
# changes, zones.services.rule_set_update) and the model whose field the last part names.
DETAIL_KEY_MODELS: dict[str, str] = {"tiers": "zones.ruletier", "rules": "zones.liftrule"}


def _field_verbose_name(model_label: str, name: str) -> str | None:
    """The capitalised translated verbose name of field ``name`` of model ``model_label``, or None."""
    try:
        field = apps.get_model(model_label)._meta.get_field(name)
    except (LookupError, ValueError):
        return None
    verbose = getattr(field, "verbose_name", None)
    return capfirst(str(verbose)) if verbose else None


def detail_label(key: str, object_type: str = "") -> str:
    """The reader's-language label of an audit detail key: ``"at"`` → "时间" (:data:`DETAIL_LABELS`);
    else a field of the entry's model (``object_type``) by its verbose name, capitalised
    (``"strict_days"`` of a zones.ruleset → its field's name); a dotted key of :data:`DETAIL_KEY_MODELS`
    (``"tiers.red.strict_days"``) as “<model> <id>: <field>” (core.forms.field_line: "Rule tier red:
    …"); any other key as it is."""
    label = DETAIL_LABELS.get(key)
    if label is not None:
        return str(label)
    head, _dot, rest = key.partition(".")
    ident, _dot, name = rest.rpartition(".")
    if head in DETAIL_KEY_MODELS and ident and name:
        model_label = DETAIL_KEY_MODELS[head]
        verbose = _field_verbose_name(model_label, name)
        if verbose is not None:
            model = capfirst(str(apps.get_model(model_label)._meta.verbose_name))
            return field_line(f"{model} {ident}", verbose)
    if object_type and "." not in key:
        verbose = _field_verbose_name(object_type, key)
        if verbose is not None:
            return verbose
    return key


# Detail keys whose values are the codes of a field named otherwise (``"<app>.<model>.<field>"``),
# consulted after the object's own models: a control area's ``tier`` is a zones.RuleTier ``key``; an
# escalated follow-up step's ``level`` (screening.services.tick) is a level of the 包保 chain.
VALUE_FIELDS: dict[str, str] = {"tier": "zones.ruletier.key", "level": "workforce.responsibilityassignment.level"}

# Detail keys that name a status change's ends: their values are looked up in the object's ``status``
# field first, then its other fields with choices (a triage's ``from``/``to`` are priorities).
_TRANSITION_KEYS = frozenset({"from", "to"})


@functools.cache
def _choice_maps(object_type: str, key: str) -> tuple[dict, ...]:
    """The ``{value: lazy label}`` maps a detail value of ``key`` may be a code of, in the order they
    are tried: the choices of the object's model field named ``key`` (for ``from``/``to``: its
    ``status`` field, then every other field with choices), then of a field named ``key`` of the other
    models of the same app (a ticket's ``channel`` is its intake's), then the field of
    :data:`VALUE_FIELDS`; for a dotted key of :data:`DETAIL_KEY_MODELS` (``tiers.red.proposal_level``)
    the choices of that model's field; ``language`` is one of settings.LANGUAGES. ``()`` for an
    object type that names no model. The maps are keyed by the values' text (a level stored as 5 or
    as "5" alike)."""
    if key == "language":
        return (dict(settings.LANGUAGES),)

    def choice_fields(m, name: str = "") -> list:
        fields = [f for f in m._meta.get_fields() if getattr(f, "flatchoices", None) and not f.is_relation]
        return [f for f in fields if f.name == name] if name else fields

    def by_text(fields) -> tuple[dict, ...]:  # stored as text or number alike: "5" and 5 are Level 5
        return tuple({str(value): label for value, label in f.flatchoices} for f in fields)

    head, _dot, rest = key.partition(".")
    if head in DETAIL_KEY_MODELS and "." in rest:
        return by_text(choice_fields(apps.get_model(DETAIL_KEY_MODELS[head]), rest.rpartition(".")[2]))
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return ()

    if key in _TRANSITION_KEYS:
        fields = sorted(choice_fields(model), key=lambda f: f.name != "status")
    else:
        fields = choice_fields(model, key)
        for other in model._meta.app_config.get_models():
            if other is not model:
                fields += choice_fields(other, key)
    if key in VALUE_FIELDS:
        model_label, _dot, name = VALUE_FIELDS[key].rpartition(".")
        fields += choice_fields(apps.get_model(model_label), name)
    return by_text(fields)


def value_label(key: str, value, object_type: str = "") -> str | None:
    """The translated label of a detail value that is a code, or None: ``("status", "open")`` of an
    ``assistance.ticket`` → "处理中" (the model field's choices, :func:`_choice_maps`), ``("language",
    "zh-hans")`` → "简体中文", ``("field", "id")`` → "证件号码" (:data:`VALUE_LABELS`); a whole number of
    an integer choice field too (``("level", 3)`` of a divisions.division → "Community/village"… by
    its Level, of a workforce assignment or an escalated step → its 包保 level), never "level: 3"."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    label = VALUE_LABELS.get(key, {}).get(value) if isinstance(value, str) else None
    if label is None and object_type:
        label = next((m[str(value)] for m in _choice_maps(object_type, key) if str(value) in m), None)
    if label is None and key == "language" and isinstance(value, str):
        label = dict(settings.LANGUAGES).get(value)
    return None if label is None else str(label)


def _detail_value(value, key: str = "", object_type: str = "", divisions: dict | None = None) -> str:
    """One stored detail value as shown (``key``: its detail key, ``object_type``: the entry's, for code
    values: ``field`` "id" → "ID number", ``where`` by :func:`where_label`, a status, category, channel
    … by its model field's label, :func:`value_label`): an ISO datetime with an offset (stored in UTC) in
    local time ``YYYY-MM-DD HH:MM:SS`` (settings.TIME_ZONE); True/False as translated yes/no; None as
    "—"; a list joined with ", " (codes labelled); a dict as ``key: value`` pairs; anything else as its
    text (stored values of IDs and phone numbers are already masked, core.audit). ``divisions``
    (:func:`division_names`): a division code under a key of :data:`DIVISION_DETAIL_KEYS` by its name."""
    if value is None:
        return "—"
    if divisions and key in DIVISION_DETAIL_KEYS and isinstance(value, str) and value in divisions:
        return divisions[value]
    if key == "where" and isinstance(value, str):
        return where_label(value)
    label = value_label(key, value, object_type)
    if label is not None:
        return label
    if isinstance(value, bool):
        return str(pgettext_lazy("audit detail", "yes") if value else pgettext_lazy("audit detail", "no"))
    if isinstance(value, list):
        return ", ".join(_detail_value(item, key, object_type, divisions) for item in value)
    if isinstance(value, dict):
        return items_line(
            field_line(detail_label(str(k), object_type), _detail_value(v, str(k), object_type))
            for k, v in value.items()
        )
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        moment = parse_datetime(value) if value[-6] in "+-" or value.endswith("Z") else None
        if moment is not None and timezone.is_aware(moment):
            return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"
    return str(value)


def detail_items(detail: dict | None, object_type: str = "", divisions: dict | None = None) -> list[tuple[str, str]]:
    """``AuditEntry.detail`` as ``[(label, value)]`` for display, ordered by key (PostgreSQL's jsonb
    does not keep the written order, so the same entry reads the same on both databases): keys by
    their translated labels (DETAIL_LABELS), values formatted by ``_detail_value`` (local times; codes
    by the labels of ``object_type``'s model field choices; division codes by the names of
    ``divisions``, :func:`division_names` of the page)."""
    return [
        (detail_label(str(key), object_type), _detail_value(value, str(key), object_type, divisions))
        for key, value in sorted((detail or {}).items())
    ]


def labelled_counts(counts: dict) -> str:
    """Counts as a reader reads them, in the active language: ``{"households": 12, "residents": 40}``
    → "住户 12，居民 40" / "Households 12, Residents 40" (keys by :func:`detail_label`, in the given
    order). For the management commands' summaries (make demo)."""
    from lianfang.core.forms import listing  # noqa: PLC0415 (forms imports models, which import this)

    return listing(f"{detail_label(str(k))} {v}" for k, v in counts.items())
