"""Exported spreadsheets never carry a live formula from resident data (formula injection)."""

import openpyxl
import pytest

from lianfang.registry.exporters import FORMULA_STARTS, _text_cell


@pytest.mark.parametrize("value", ['=HYPERLINK("http://evil","x")', "+1+1", "-2", "@SUM(A1)"])
def test_formula_like_text_is_stored_as_text(tmp_path, value):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([_text_cell(ws, value)])
    wb.save(tmp_path / "x.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "x.xlsx").active["A1"]
    assert value[:1] in FORMULA_STARTS
    assert (cell.data_type, cell.value) == ("s", value)
