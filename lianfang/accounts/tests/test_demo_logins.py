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
def test_demo_login_table_is_bilingual_and_lines_up_on_a_terminal(population, language):
    """New-user trial 14: ``make demo`` printed the logins in Chinese only; now the titles and the
    heading are in both languages and each row has the role in Chinese and in English, whatever the
    active language; columns line up by display width."""
    out = StringIO()
    with translation.override(language):
        call_command("create_demo_users", "--code", QILIHE, stdout=out)
    text = out.getvalue()
    assert "演示登录（所有账号密码：lianfang-demo）" in text
    assert "Demo logins (password for all: lianfang-demo)" in text
    lines = [line for line in text.splitlines() if line.startswith("  ")]
    heading, *lines = lines
    assert [c.strip() for c in heading.strip().split("  ") if c.strip()] == [
        "用户名 User name",
        "角色",
        "Role",
        "区划 Division",
    ]
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
    assert "网格员" in grid and "Grid worker" in grid
    # new-user trial: the sampling desk login read "Volunteer", like "volunteer"; now its duty too
    desk = next(line for line in lines if line.startswith("  desk "))
    assert "志愿者：采样台" in desk and "Volunteer: sampling desk" in desk
    volunteer = next(line for line in lines if line.startswith("  volunteer "))
    assert "采样台" not in volunteer and "sampling desk" not in volunteer
    admin = next(line for line in lines if line.startswith("  admin "))
    assert "超级用户（/admin/）" in admin and "Superuser (/admin/)" in admin
    starts = set()
    for line in [heading, *lines]:
        cells = [c.strip() for c in line.strip().split("  ") if c.strip()]  # a cell holds single spaces only
        assert len(cells) == 4, cells
        assert cells[2][:1].isupper(), cells  # English role names capitalised alike (new-user trial 14: "superuser")
        starts.add(tuple(_column_starts(line, cells)))
    assert len(starts) == 1, starts  # every row's roles and place start at the same display columns
    first, role, _english, _place = starts.pop()
    assert first == 2 and role == 2 + max(len("representative"), wcswidth("用户名 User name")) + 2


@pytest.mark.parametrize(("language", "shown"), [("zh-hans", "网格员（演示）"), ("en", "Grid worker (demo)")])
def test_a_demo_user_reads_in_the_page_language(population, language, shown, client):
    """New-user trial 14: English pages read "Staff (网格员（演示）)": the stored zh-Hans name is shown
    in the reader's language (accounts.demo_names); a name changed by hand is kept as written."""
    from lianfang.accounts.models import User

    call_command("create_demo_users", "--code", QILIHE, stdout=StringIO())
    grid = User.objects.get(username="grid")
    assert grid.display_name == "网格员（演示）"
    with translation.override(language):
        assert str(grid) == shown
    client.force_login(grid)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=language, follow=True)
    translation.activate("zh-hans")
    whoami = page.content.decode().split('data-testid="whoami">', 1)[1].split("</span>", 1)[0]
    assert whoami.startswith(shown)
    grid.display_name = "张网格"
    with translation.override("en"):
        assert str(grid) == "张网格"


def test_login_table_pads_by_display_width_not_by_characters():
    lines = login_table([("grid", "网格员（演示）", "阳光小区"), ("volunteer", "Volunteer", "x")])
    assert lines == ["  grid       网格员（演示）  阳光小区", "  volunteer  Volunteer       x"]
    assert wcswidth(lines[0].split("阳光小区")[0]) == wcswidth(lines[1][:-1])
