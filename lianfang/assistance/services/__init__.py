"""Every write of the service-request app (validated first, atomic, audited), one module per concern.

Errors: ``django.core.exceptions.ValidationError`` with a dict naming the field and the offending value;
``PermissionDenied`` when the actor may not do it; :class:`~.base.StatusConflict` when a status change lost to
another one (two workers accepting the same ticket at once: exactly one wins, the other gets this).
Times are aware datetimes (UTC in the database); "a day" is the Asia/Shanghai day (settings.TIME_ZONE).

Status changes are conditional updates (``filter(pk=..., status=old).update(...) == 1``) with a reason
code (the EventKind, or the Outcome on closing), each written to the ticket's timeline
(:class:`~lianfang.assistance.models.TicketEvent`) and the audit log.

Other apps file requests through :func:`~.intake.service_request_create` (field operations: a medical request
from an abnormal home health reading).

Modules (import the one that owns a function; this package re-exports nothing):

- ``base``: ``StatusConflict``, ``MAX_TEXT``, ``can_handle``, ``can_supervise``, ``gate_post_code`` and the
  private helpers the others share (time, actor, timeline event, notification, emergency alert, new token).
  It imports no other module of the package.
- ``intake``: ``service_request_create`` (one ticket per need: a new ticket or a link to the open one).
- ``lifecycle``: status changes after intake: ``service_request_accept``, ``service_request_hand_off``,
  ``service_request_start``, ``service_request_on_site``, ``service_request_fulfil``,
  ``service_request_confirm``, ``service_request_close``, ``service_request_triage``; timeline notes
  (``service_request_note``) and ``notification_mark_read``.
- ``escalation``: ``requests_tick`` and ``TickReport`` (``manage.py requests_tick``).
- ``tokens``: household QR tokens: ``household_token_issue``, ``household_token_revoke``,
  ``household_tokens_ensure``.
- ``passes``: medical exit passes: ``exit_pass_issue``, ``exit_pass_revoke``, ``exit_pass_check_record``.
- ``care``: proactive care: ``care_medicine_set``, ``care_medicine_end``, ``care_tick`` and ``CareReport``
  (``manage.py care_tick``), ``check_in_done``.
- ``supplies``: supply distribution: ``supply_plan_create``, ``supply_delivery_add_tenant``,
  ``supply_delivery_mark``, ``supply_delivery_confirm``, ``supply_plan_close``.
"""
