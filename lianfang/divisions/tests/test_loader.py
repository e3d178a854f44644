import shutil
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from lianfang.conftest import SHARED_DIVISIONS
from lianfang.divisions.models import Division, Kind, Level
from lianfang.divisions.services import DivisionDataError, kind_for, load_divisions, short_name


@pytest.mark.django_db
def test_qilihe_counts_from_the_real_files():
    report = load_divisions(actor=None, source=SHARED_DIVISIONS, code="620103")
    kinds = Counter(Division.objects.filter(level=Level.STREET).values_list("kind", flat=True))
    assert kinds == {Kind.STREET: 9, Kind.TOWN: 5, Kind.TOWNSHIP: 1}
    assert Division.objects.filter(level=Level.COMMUNITY).count() == 141
    assert Division.objects.filter(level=Level.COMMUNITY, kind=Kind.COMMUNITY).count() == 82
    assert Division.objects.filter(level=Level.COMMUNITY, kind=Kind.VILLAGE).count() == 59
    # ancestors included
    assert list(Division.objects.filter(level__lte=3).values_list("code", "short_name")) == [
        ("62", "甘肃省"),
        ("6201", "兰州市"),
        ("620103", "七里河区"),
    ]
    assert report.created == 159
    node = Division.objects.get(code="620103001001")
    assert (node.name, node.short_name, node.parent.code, node.district.code) == (
        "下西园社区居委会",
        "下西园社区",
        "620103001",
        "620103",
    )
    assert node.geometry["type"] == "Polygon" and node.schematic is True


@pytest.mark.django_db
def test_second_run_changes_nothing_and_says_so(capsys):
    call_command("load_divisions", "--source", str(SHARED_DIVISIONS), "--code", "620103")
    before = list(Division.objects.values_list("code", "name", "geometry"))
    call_command("load_divisions", "--source", str(SHARED_DIVISIONS), "--code", "620103")
    out = capsys.readouterr().out
    assert "620103 的区划已是最新：未做任何更改（" in out  # zh-Hans, the default
    with translation.override("en"):
        call_command("load_divisions", "--source", str(SHARED_DIVISIONS), "--code", "620103")
    assert "Divisions of 620103 already up to date: nothing changed (" in capsys.readouterr().out
    assert list(Division.objects.values_list("code", "name", "geometry")) == before


@pytest.mark.django_db
def test_lanzhou_counts():
    load_divisions(actor=None, source=SHARED_DIVISIONS, code="6201")
    assert Division.objects.within("6201").filter(level=Level.STREET).count() == 116
    assert Division.objects.within("6201").filter(level=Level.COMMUNITY).count() == 1177


@pytest.mark.django_db
def test_unknown_code_is_a_clear_error():
    with pytest.raises(CommandError, match="99"):
        call_command("load_divisions", "--source", str(SHARED_DIVISIONS), "--code", "99")


@pytest.mark.django_db
def test_malformed_file_names_file_line_and_value(tmp_path):
    for f in SHARED_DIVISIONS.iterdir():
        shutil.copy(f, tmp_path / f.name)
    villages = tmp_path / "villages.csv"
    lines = villages.read_text(encoding="utf-8").splitlines()
    lines[3] = '62010200100X,"坏社区居委会",620102001,62,6201,620102'
    villages.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DivisionDataError) as err:
        load_divisions(actor=None, source=tmp_path, code="620103")
    assert err.value.line == 4
    assert err.value.value == "62010200100X"
    assert err.value.path.endswith("villages.csv")
    assert Division.objects.count() == 0  # nothing half-written


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("下西园社区居委会", "下西园社区"),
        ("八里窑村委会", "八里窑村"),
        ("张家村村民委员会", "张家村"),
        ("肖家社区村委会", "肖家社区"),
        ("天庆嘉园社区", "天庆嘉园社区"),
        ("xx居民委员会", "xx"),
    ],
)
def test_short_names(name, short):
    assert short_name(name) == short


def test_kinds_from_names():
    assert kind_for(Level.STREET, "阿干镇") == Kind.TOWN
    assert kind_for(Level.STREET, "魏岭乡") == Kind.TOWNSHIP
    assert kind_for(Level.STREET, "西园街道") == Kind.STREET
    assert kind_for(Level.COMMUNITY, "肖家社区村委会") == Kind.VILLAGE
    assert kind_for(Level.COMMUNITY, "张苏滩村社区") == Kind.COMMUNITY
    assert kind_for(Level.DISTRICT, "永登县") == Kind.COUNTY
