"""The division hierarchy (行政区划) and the local nodes below it (小区/村民小组, 楼栋, 单元).

Official codes are the NBS 2023 statistical division codes: 2 (province), 4 (city), 6 (district),
9 (street/town), 12 (community/village) digits, each a prefix of its children's. Local nodes extend
the code with fixed-width digit segments: compound or village group +3 digits (15), building +3
(18), unit +2 (20). So a node's code is its path, and a subtree is a code range (core.scoping).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianfang.core.forms import bracketed
from lianfang.core.scoping import ScopedManager


class Level(models.IntegerChoices):
    """Depth in the hierarchy; the official levels are 1-5."""

    PROVINCE = 1, _("Province")
    CITY = 2, _("City")
    DISTRICT = 3, _("District/county")
    STREET = 4, _("Street/town")
    COMMUNITY = 5, _("Community/village")
    COMPOUND = 6, _("Compound/village group")
    BUILDING = 7, _("Building")
    UNIT = 8, _("Unit (stairwell)")


CODE_LENGTHS = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.DISTRICT: 6,
    Level.STREET: 9,
    Level.COMMUNITY: 12,
    Level.COMPOUND: 15,
    Level.BUILDING: 18,
    Level.UNIT: 20,
}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}


class Kind(models.TextChoices):
    """What a node is, read from its official name (街道/镇/乡, 社区/村) or set for local nodes."""

    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County")
    STREET = "street", _("Street (subdistrict)")
    TOWN = "town", _("Town")
    TOWNSHIP = "township", _("Township")
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")
    COMPOUND = "compound", _("Compound")
    VILLAGE_GROUP = "village_group", _("Village group")
    BUILDING = "building", _("Building")
    UNIT = "unit", _("Unit (stairwell)")
    OTHER = "other", _("Other")


class Division(models.Model):
    """One node of the hierarchy, official or local.

    ``code`` is the node's path (see the module docstring); ``parent`` is NULL for a province;
    ``district`` is the level-3 ancestor (NULL above it), kept on every row so data can shard by
    district. ``geometry`` is a GeoJSON Polygon; ``schematic`` is True when it was generated
    (real boundaries are not public).
    """

    SCOPE_PATH_FIELD = "code"

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=60)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    district = models.ForeignKey(
        "self", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_official = models.BooleanField(_("official"), default=True)
    geometry = models.JSONField(_("shape (GeoJSON)"), null=True, blank=True)
    schematic = models.BooleanField(_("schematic shape"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=8), name="division_level_range"),
        ]

    def __str__(self) -> str:
        return bracketed(self.short_name, self.code)

    @property
    def audit_division_code(self) -> str:
        return self.code

    def ancestor_codes(self) -> list[str]:
        """Codes of the ancestors from the province down, this node excluded (derived from the code)."""
        return [self.code[:n] for level, n in sorted(CODE_LENGTHS.items()) if n < len(self.code)]

    def ancestors(self) -> list[Division]:
        """Ancestor Division rows from the province down (one query)."""
        codes = self.ancestor_codes()
        by_code = {d.code: d for d in Division.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    @property
    def is_rural(self) -> bool:
        return self.kind in (Kind.VILLAGE, Kind.VILLAGE_GROUP, Kind.TOWN, Kind.TOWNSHIP)
