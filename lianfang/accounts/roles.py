"""Roles (角色) and what each may do. The rows a role sees come from its division (scoping.py)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of design.md "Users and what they see"."""

    DISTRICT_COMMANDER = "district_commander", _("District commander")
    STREET_OFFICER = "street_officer", _("Street/town officer")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STATIONED_CADRE = "stationed_cadre", _("Stationed cadre")
    GRID_WORKER = "grid_worker", _("Grid worker")
    HOUSEHOLD_REPRESENTATIVE = "household_representative", _("Household representative")
    VOLUNTEER = "volunteer", _("Volunteer")


class Capability(models.TextChoices):
    """Actions beyond seeing masked rows in scope."""

    REVEAL_PII = "reveal_pii", _("View unmasked ID and phone numbers")
    EXPORT = "export", _("Export personal data")
    EDIT_REGISTRY = "edit_registry", _("Edit households and residents")
    MANAGE_WORKFORCE = "manage_workforce", _("Manage workers and responsibility assignments")
    MANAGE_ZONES = "manage_zones", _("Declare and lift control areas")
    OVERRIDE = "override", _("Override a refused rule with a written reason")
    RUN_ROUNDS = "run_rounds", _("Run testing rounds")
    HANDLE_REQUESTS = "handle_requests", _("Accept and fulfil service requests")
    SUPERVISE_REQUESTS = "supervise_requests", _("Triage and close service requests others hold")
    FIELD_WORK = "field_work", _("Field work: sampling, gate duty, check-ins")
    VIEW_AUDIT = "view_audit", _("Read the audit log")


# The same capabilities as a lower-case verb phrase, to sit inside a sentence ("You may not declare and
# lift control areas in …"); the labels above are list headings.
CAPABILITY_PHRASES: dict[str, str] = {
    Capability.REVEAL_PII: _("view unmasked ID and phone numbers"),
    Capability.EXPORT: _("export personal data"),
    Capability.EDIT_REGISTRY: _("edit households and residents"),
    Capability.MANAGE_WORKFORCE: _("manage workers and responsibility assignments"),
    Capability.MANAGE_ZONES: _("declare and lift control areas"),
    Capability.OVERRIDE: _("override a refused rule"),
    Capability.RUN_ROUNDS: _("run testing rounds"),
    Capability.HANDLE_REQUESTS: _("handle service requests"),
    Capability.SUPERVISE_REQUESTS: _("triage and close service requests others hold"),
    Capability.FIELD_WORK: _("do field work"),
    Capability.VIEW_AUDIT: _("read the audit log"),
}


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.DISTRICT_COMMANDER: frozenset(C.values),
    Role.STREET_OFFICER: frozenset(
        {
            C.REVEAL_PII,
            C.EXPORT,
            C.EDIT_REGISTRY,
            C.MANAGE_WORKFORCE,
            C.RUN_ROUNDS,
            C.HANDLE_REQUESTS,
            C.SUPERVISE_REQUESTS,
            C.MANAGE_ZONES,
        }
    ),
    Role.COMMUNITY_STAFF: frozenset(
        {
            C.REVEAL_PII,
            C.EXPORT,
            C.EDIT_REGISTRY,
            C.MANAGE_WORKFORCE,
            C.RUN_ROUNDS,
            C.HANDLE_REQUESTS,
            C.SUPERVISE_REQUESTS,
            C.FIELD_WORK,
        }
    ),
    Role.STATIONED_CADRE: frozenset({C.RUN_ROUNDS, C.HANDLE_REQUESTS, C.SUPERVISE_REQUESTS, C.FIELD_WORK}),
    Role.GRID_WORKER: frozenset({C.HANDLE_REQUESTS, C.SUPERVISE_REQUESTS, C.FIELD_WORK, C.EDIT_REGISTRY}),
    Role.HOUSEHOLD_REPRESENTATIVE: frozenset({C.HANDLE_REQUESTS, C.FIELD_WORK}),
    Role.VOLUNTEER: frozenset({C.FIELD_WORK}),
}

# Roles whose division assignment opens the whole subtree below it. A household representative's
# rows come from their responsibility assignments (workforce app), not from a division.
SUBTREE_ROLES = frozenset(set(Role.values) - {Role.HOUSEHOLD_REPRESENTATIVE})
