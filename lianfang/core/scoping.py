"""Access scope: the one place that decides which rows a user may see.

Every model that holds personal or operational data uses :class:`ScopedQuerySet` (directly or via
``ScopedManager``) and declares where its division code lives:

- ``SCOPE_PATH_FIELD``: the lookup path to a division code string, e.g. ``"path"`` on Household,
  ``"household__path"`` on Resident, ``"code"`` on Division. Division codes are prefix-hierarchical
  digit strings (62 → 6201 → 620103 → 620103001 → 620103001001 → local segments), so a subtree is a
  half-open range ``[code, next(code))`` that uses a plain B-tree index on SQLite and PostgreSQL.
- ``SCOPE_HOUSEHOLD_FIELD`` (optional): the lookup path to a household id, e.g. ``"pk"`` on
  Household, ``"household"`` on Resident. Users scoped to a set of households (a household
  representative, 联户代表) see rows through it.

``Model.objects.visible_to(user)`` is deny-by-default: an anonymous or inactive user, or one with
no active role assignment, gets an empty queryset. Superusers (system operators) see everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

HouseholdScopeProvider = Callable[[object], "models.QuerySet | None"]
_household_scope_providers: list[HouseholdScopeProvider] = []


def register_household_scope_provider(provider: HouseholdScopeProvider) -> None:
    """Register ``provider(user) -> queryset of Household ids | None`` (e.g. a representative's households).

    Called from an app's ``AppConfig.ready``; registering the same function twice is a no-op.
    """
    if provider not in _household_scope_providers:
        _household_scope_providers.append(provider)


def code_upper_bound(code: str) -> str | None:
    """The smallest digit string of the same length greater than every code starting with ``code``.

    ``"620103"`` → ``"620104"``; ``"6299"`` → ``"6300"``; all nines → None (no upper bound).
    Raises ValueError for a non-digit code.
    """
    if not code.isdigit():
        raise ValueError(f"division code must be digits, got {code!r}")
    digits = code.rstrip("9")
    if not digits:
        return None
    return digits[:-1] + str(int(digits[-1]) + 1) + "0" * (len(code) - len(digits))


def subtree_q(field_path: str, code: str) -> Q:
    """Q selecting rows whose ``field_path`` code lies in the subtree of ``code`` (inclusive)."""
    upper = code_upper_bound(code)
    q = Q(**{f"{field_path}__gte": code})
    if upper is not None:
        q &= Q(**{f"{field_path}__lt": upper})
    return q


@dataclass(frozen=True)
class Scope:
    """What one user may see: ``everything``, or division subtrees and extra households.

    ``codes`` are division codes (each the root of a visible subtree); ``household_querysets`` are
    querysets of Household ids from registered providers.
    """

    everything: bool = False
    codes: tuple[str, ...] = ()
    household_querysets: tuple = field(default=())

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.codes and not self.household_querysets

    def covers_code(self, code: str) -> bool:
        """True when ``code`` is inside one of the visible subtrees (household scope not considered)."""
        return self.everything or any(code.startswith(root) for root in self.codes)


def _minimal_roots(codes: Iterable[str]) -> tuple[str, ...]:
    roots: list[str] = []
    for code in sorted(set(codes), key=len):
        if not any(code.startswith(root) for root in roots):
            roots.append(code)
    return tuple(sorted(roots))


def scope_for(user) -> Scope:
    """Compute (and cache on the user object for this request) the user's Scope.

    Active role assignments (accounts.RoleAssignment, valid today) give division subtrees;
    registered providers give household sets. Raises nothing; an unknown user gets an empty Scope.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_lianfang_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True)
    else:
        from lianfang.accounts.selectors import active_assignments  # noqa: PLC0415 (app registry)

        codes = [a.division.code for a in active_assignments(user) if a.grants_subtree]
        extra = []
        for provider in _household_scope_providers:
            qs = provider(user)
            if qs is not None:
                extra.append(qs)
        scope = Scope(codes=_minimal_roots(codes), household_querysets=tuple(extra))
    user._lianfang_scope = scope
    return scope


class ScopedQuerySet(models.QuerySet):
    """QuerySet with ``visible_to(user)`` and ``within(code)``; see the module docstring."""

    def _path_field(self) -> str:
        try:
            return self.model.SCOPE_PATH_FIELD
        except AttributeError as exc:  # a programming error, not user input
            raise TypeError(f"{self.model.__name__} must declare SCOPE_PATH_FIELD") from exc

    def within(self, code: str) -> ScopedQuerySet:
        """Rows inside the subtree of division ``code`` (no access check: combine with visible_to)."""
        return self.filter(subtree_q(self._path_field(), code))

    def visible_to(self, user) -> ScopedQuerySet:
        """Rows ``user`` may see; an empty queryset when the user has no scope (deny by default)."""
        scope = scope_for(user)
        if scope.everything:
            return self
        if scope.is_empty:
            return self.none()
        path_field = self._path_field()
        q = Q()
        for code in scope.codes:
            q |= subtree_q(path_field, code)
        household_field = getattr(self.model, "SCOPE_HOUSEHOLD_FIELD", None)
        if household_field:
            for qs in scope.household_querysets:
                q |= Q(**{f"{household_field}__in": qs})
        if not q:
            return self.none()
        return self.filter(q)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def reaches(user, code: str) -> bool:
    """Whether the division ``code`` holds anything ``user`` may see (the one answer for filters that
    narrow a list to a division: ``within=``, ``community=``, a report's drill-down).

    True when ``code`` is an existing division and either
    - it lies inside one of the user's scope roots (a division they see; superusers see all), or
    - it lies above one of their roots (a grid worker of a compound naming its community: the rows
      stay ``visible_to`` them, so the answer is their part of it), or
    - it holds one of the households of the user's household scope (a household representative,
      whose rows come from their households, not from a division).
    False for an unknown code, a code outside all of these, an anonymous/inactive user or one
    without any scope (deny by default). ``code`` is a division code string (1-20 digits: check it
    with core.filters.CODE_VALIDATOR first for a 400 naming a malformed value). Raises nothing;
    at most two queries.
    """
    from django.apps import apps  # noqa: PLC0415 (models load after this module)

    scope = scope_for(user)
    if scope.is_empty or not code:
        return False
    Division = apps.get_model("divisions", "Division")  # noqa: N806
    if scope.covers_code(code) or any(root.startswith(code) for root in scope.codes):
        return Division.objects.filter(code=code).exists()
    if scope.household_querysets:
        Household = apps.get_model("registry", "Household")  # noqa: N806
        return Household.objects.visible_to(user).within(code).exists()
    return False
