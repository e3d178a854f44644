"""Every write of testing rounds (atomic, validated, audited). Rules: ../shared/docs/domain.md §4.

Errors:

- ``django.core.exceptions.ValidationError`` — bad input, with a dict naming the field and value;
- ``django.core.exceptions.PermissionDenied`` — the actor lacks the capability at that division
  (RUN_ROUNDS to open rounds, sites, desks and import results; FIELD_WORK to sample);
- :class:`~lianfang.screening.services.base.Refused` — a desk submission that cannot be applied (tube
  full, tube closed, person already sampled in this round...), with a ``code`` the desk page shows.

Status changes are conditional updates (``filter(pk=..., status=old).update(...) == 1``) with a
:class:`~lianfang.screening.models.ReasonCode`. ``actor=None`` is the system (management commands).

Import from the module that owns a function (this package re-exports nothing):

- ``base`` — the desk's refusals (``Refused``, ``Malformed``), ``echo``, the rule set in force
  (``rules``, ``ensure_shipped_rules``), ``out_of_reach``, ``mask_name`` and the private helpers the
  other modules share (actor, time, station checks, division look-ups); it imports none of them;
- ``rounds`` — opening, closing and syncing testing rounds, exemptions, sites, desks, task assignment;
- ``scans`` — reading what a desk scans or picks: ``Person``, ID numbers, children via a guardian,
  household QR codes, tube barcodes (``is_tube_barcode``, ``shown_barcode``), sample times;
- ``tubes`` — taking people into an open tube (one upsert), ``tube_close``, ``tubes_hand_over``;
- ``sampling`` — ``samples_register`` (swabbing people into a tube, all or nothing) and
  ``pickable_residents``;
- ``idempotency`` — stored outcomes of submissions under a client key (``KEY_RE``, ``replayed``,
  ``remember``, ``replay``, ``body_hash``, ``key_reused``);
- ``desk`` — ``desk_submit``, one desk-page submission applied exactly once, and the desk's answer;
- ``results`` — lab results (``ResultLine``, ``results_record``), re-sampling tasks of invalid tubes,
  ``exception_resolve`` for held lines;
- ``follow_ups`` — the follow-up of a positive pool (``follow_up_open``), retest results, notices along
  the responsibility chain, ``follow_up_step_done``;
- ``tick`` — ``screening_tick``, the recurring work (overdue results, escalation of overdue steps).
"""
