"""The division nodes under an import target (:class:`Places`), loaded once and resolved by the
compound/building/unit names of a row, with the nearest names suggested for an unknown one.
"""

from __future__ import annotations

import difflib
import re

from django.utils.translation import gettext as _

from lianfang.core.forms import listing
from lianfang.divisions.models import Division, Level
from lianfang.registry.importing.columns import cell_text


def _place_key(text: str, level: int) -> str:
    """Fold a compound/building/unit name for matching: no spaces; 3号楼/3栋/3幢/3 → 3; 2单元/2 → 2."""
    text = re.sub(r"\s", "", cell_text(text)).lower()
    if level == Level.BUILDING:
        text = re.sub(r"(号楼|号|栋|幢|楼|座)$", "", text)
    elif level == Level.UNIT:
        text = re.sub(r"(单元|门)$", "", text)
    return text


class Places:
    """The division nodes under the import target, loaded once, resolved by name with suggestions."""

    def __init__(self, target: Division):
        self.target = target
        nodes = list(
            Division.objects.within(target.code)
            .filter(level__gte=Level.COMMUNITY)
            .only("id", "code", "name", "short_name", "level", "district_id")
        )
        self.by_code = {n.code: n for n in nodes}
        if target.level == Level.COMMUNITY:
            self.by_code[target.code] = target
        self.children: dict[str, dict[str, Division]] = {}
        self.names: dict[str, list[str]] = {}
        self.communities: dict[str, Division] = {}
        for node in nodes:
            if node.level == Level.COMMUNITY:
                for name in (node.name, node.short_name):
                    self.communities[_place_key(name, Level.COMMUNITY)] = node
                continue
            parent = node.code[: {Level.COMPOUND: 12, Level.BUILDING: 15, Level.UNIT: 18}[node.level]]
            self.children.setdefault(parent, {})[_place_key(node.short_name, node.level)] = node
            self.names.setdefault(parent, []).append(node.short_name)
        self._cache: dict[tuple, tuple[Division | None, str, str]] = {}

    def community(self, text: str) -> tuple[Division | None, str]:
        """The community named ``text`` inside the target (any when the target is a community: itself)."""
        if self.target.level == Level.COMMUNITY:
            if text and _place_key(text, Level.COMMUNITY) not in (
                _place_key(self.target.name, Level.COMMUNITY),
                _place_key(self.target.short_name, Level.COMMUNITY),
            ):
                return None, _("the file is being imported into %(target)s, not %(value)s") % {
                    "target": self.target.short_name,
                    "value": text,
                }
            return self.target, ""
        if not text:
            return None, _("community is required when importing into %(target)s") % {"target": self.target.short_name}
        node = self.communities.get(_place_key(text, Level.COMMUNITY))
        if node is None:
            names = sorted({n.short_name for n in self.communities.values()})
            return None, self._unknown(_("unknown community"), text, names)
        return node, ""

    @staticmethod
    def _unknown(what: str, text: str, names: list[str]) -> str:
        near = difflib.get_close_matches(text, names, n=3, cutoff=0.3)
        if near:
            return _("%(what)s; nearest: %(near)s") % {"what": what, "near": listing(near)}
        return _("%(what)s (none similar in this community)") % {"what": what}

    def resolve(self, community_text: str, compound: str, building: str, unit: str):
        """``(node, column_key, reason)``: the most specific node named, or None with the failing column."""
        key = (community_text, compound, building, unit)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        result = self._resolve(*key)
        self._cache[key] = result
        return result

    def _resolve(self, community_text, compound, building, unit):
        community, reason = self.community(community_text)
        if community is None:
            return None, "community", reason
        node = community
        for text, level, column, what in (
            (compound, Level.COMPOUND, "compound", _("unknown compound/village group")),
            (building, Level.BUILDING, "building", _("unknown building")),
            (unit, Level.UNIT, "unit", _("unknown unit")),
        ):
            if not text:
                break
            if node.level != level - 1:
                return None, column, _("%(column)s given without the level above it") % {"column": text}
            child = self.children.get(node.code, {}).get(_place_key(text, level))
            if child is None:
                return None, column, self._unknown(what, text, self.names.get(node.code, []))
            node = child
        return node, "", ""
