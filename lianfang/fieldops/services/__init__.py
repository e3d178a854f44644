"""Every write of field operations (validated first, atomic, audited).

Errors are ``django.core.exceptions.ValidationError`` with a dict naming the field and the value,
or ``PermissionDenied`` when the actor lacks the capability at the place. Status changes are
conditional updates (``filter(pk=..., status=old).update(...) == 1``) carrying a reason code;
a lost race raises :class:`~lianfang.fieldops.services.base.StatusConflict`. ``actor=None`` is
system work (the tick command).

Capabilities (accounts.roles): setting up gates, checkpoints, rosters, schedules, notices and
channels needs MANAGE_WORKFORCE; field records (check-ins, scans, gate registration, health
check-ins, disinfection logs) need FIELD_WORK; screening and contact status needs EDIT_REGISTRY.

Callers import the module that owns a function (nothing is re-exported here):

- ``base``: the capabilities (SETUP, FIELD, SCREENING), the place levels, :class:`StatusConflict`,
  the set-up refusal phrases (SETUP_WHAT) and the private helpers every module shares
  (``_require``, ``_user``, ``_now``, ``_place``, ``_text``, ``_create_audited``, ``_set_status``).
  It imports none of the modules below.
- ``alerts``: raising an alert once per key, who may acknowledge it, acknowledging.
- ``gates``: gate duty (值守): gates, the duty roster and its shifts (assign, check in, check out),
  missed and uncovered shifts (tick), the alert at the gates for an emergency crew.
- ``patrols``: patrol checkpoints, rounds, QR scans, closing stale rounds (tick).
- ``passages``: entry/exit registration at a gate (出入登记) and its decision.
- ``screened``: inflow screening (人员摸排): where a screened person stays, adding one (form, API
  and importer: ``build_person``/``save_person``), duplicates, verifying a city-level location,
  handing a transfer-out over.
- ``quarantine``: the status of screened people and the quarantine of contacts: allowed
  transitions, classification under the rule set, status changes by hand, later exposures, test
  results, moving contacts on as their periods end (tick).
- ``bulk_changes``: one status change for many people, requested by one person and approved or
  rejected by a second.
- ``monitoring``: home health monitoring (居家健康监测): periods, daily health check-ins and their
  temperature readings, abnormal readings, missed check-ins (tick).
- ``disinfection``: disinfection schedules (by hand and from the tiers), logs, overdue alerts (tick).
- ``notices``: public notices (no people named) and the group-robot channels that carry them.

Imports between them go one way: base ← alerts ← gates, patrols, monitoring, disinfection;
base ← quarantine ← screened, bulk_changes; passages and notices use base only.
"""
