"""Translated labels of the audit log's action codes (``AuditEntry.action``), for the audit page and
the admin list (message context "audit action": short past-tense labels, apart from the same
English words used elsewhere as buttons or statuses). A code missing here is shown by its app's
name and the code, never silently hidden."""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import pgettext_lazy

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
    "link": pgettext_lazy("audit action", "Linked"),
    "link_user": pgettext_lazy("audit action", "Linked a user account"),
    "assign": pgettext_lazy("audit action", "Assigned"),
    "hand_over": pgettext_lazy("audit action", "Handed over"),
    "handoff": pgettext_lazy("audit action", "Handed over"),
    "confirm": pgettext_lazy("audit action", "Confirmed"),
    "end": pgettext_lazy("audit action", "Ended"),
    "note": pgettext_lazy("audit action", "Note added"),
    "read": pgettext_lazy("audit action", "Read"),
    "triage": pgettext_lazy("audit action", "Triaged"),
    "escalate": pgettext_lazy("audit action", "Escalated"),
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
    "screening.results": pgettext_lazy("audit action", "Lab results recorded"),
    "screening.samples_ingest": pgettext_lazy("audit action", "Samples received"),
    "screening.task_assign": pgettext_lazy("audit action", "Sampling task assigned"),
    "screening.step_done": pgettext_lazy("audit action", "Follow-up step done"),
    "screening.member_exempt": pgettext_lazy("audit action", "Person exempted from the round"),
    "screening.hand_over": pgettext_lazy("audit action", "Tubes handed over"),
    "screening.follow_up_open": pgettext_lazy("audit action", "Follow-up opened"),
    "screening.follow_up_close": pgettext_lazy("audit action", "Follow-up closed"),
    "screening.exception_resolve": pgettext_lazy("audit action", "Exception resolved"),
    "screening.escalate": pgettext_lazy("audit action", "Escalated"),
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
    "fieldops.test_result": pgettext_lazy("audit action", "Test result recorded"),
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
    phone number"; an unlisted ``"<app>.<verb>"`` → "<app's name>: <verb>"; else the code itself."""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    app_label, _dot, verb = code.partition(".")
    if verb:
        try:
            return f"{apps.get_app_config(app_label).verbose_name}: {verb}"
        except LookupError:
            pass
    return code


def action_choices(codes) -> list[tuple[str, str]]:
    """``[(code, label)]`` for ``codes`` (e.g. the codes present in the log), sorted by label."""
    return sorted(((c, action_label(c)) for c in codes), key=lambda pair: pair[1])
