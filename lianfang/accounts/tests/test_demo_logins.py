"""``create_demo_users`` prints its login table with columns aligned by display width (``make demo``)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation
from wcwidth import wcswidth

from lianfang.accounts.management.commands.create_demo_users import login_table
from lianfang.conftest import QILIHE


def _column_starts(line: str, cells: list[str]) -> list[int]:
    """The display column at which each of ``cells`` starts in ``line`` (searched left to right)."""
    starts, position = [], 0
    for cell in cells:
        position = line.index(cell, position)
        starts.append(wcswidth(line[:position]))
        position += len(cell)
    return starts


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_demo_login_table_columns_line_up_on_a_terminal(population, language):
    out = StringIO()
    with translation.override(language):
        call_command("create_demo_users", "--code", QILIHE, stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("  ")]
    assert [line.split()[0] for line in lines] == [
        "commander",
        "street",
        "community",
        "cadre",
        "grid",
        "volunteer",
        "desk",
        "representative",
        "admin",
    ]
    grid = next(line for line in lines if line.startswith("  grid "))
    assert ("网格员" if language == "zh-hans" else "Grid worker") in grid
    starts = set()
    for line in lines:
        cells = [c.strip() for c in line.strip().split("  ") if c.strip()]  # a cell holds single spaces only
        assert len(cells) == 3, cells
        starts.add(tuple(_column_starts(line, cells)))
    assert len(starts) == 1, starts  # every row's role and place start at the same display column
    first, role, place = starts.pop()
    assert first == 2 and role == 2 + len("representative") + 2
    widest_role = max(wcswidth([c for c in line.strip().split("  ") if c][1].strip()) for line in lines)
    assert place == role + widest_role + 2


def test_login_table_pads_by_display_width_not_by_characters():
    lines = login_table([("grid", "网格员（演示）", "阳光小区"), ("volunteer", "Volunteer", "x")])
    assert lines == ["  grid       网格员（演示）  阳光小区", "  volunteer  Volunteer       x"]
    assert wcswidth(lines[0].split("阳光小区")[0]) == wcswidth(lines[1][:-1])
