import datetime as dt
from collections import Counter

import phonenumbers
import pytest
from django.core.management import call_command

from lianfang.core import idnumber, pii
from lianfang.divisions.models import Division, Kind, Level
from lianfang.registry.generator import generate_population
from lianfang.registry.models import Household, Resident

TODAY = dt.date(2026, 11, 29)


@pytest.fixture
def generated(qilihe):
    return generate_population(actor=None, district=qilihe, scale=0.01, seed=7, today=TODAY)


@pytest.mark.django_db
def test_counts_and_structure(generated, qilihe):
    households = Household.objects.count()
    residents = Resident.objects.count()
    assert (generated.households, generated.residents) == (households, residents)
    assert round(0.56e6 * 0.01 / 2.43) - 200 <= households <= round(0.56e6 * 0.01 / 2.43) + 200
    assert 2.3 <= residents / households <= 2.56  # Lanzhou census: 2.43 people per family household
    communities = Division.objects.filter(level=Level.COMMUNITY)
    # every community/village has at least one compound or village group; villages get village groups
    assert set(Division.objects.filter(level=Level.COMPOUND).values_list("parent__code", flat=True)) == set(
        communities.values_list("code", flat=True)
    )
    kinds = Counter(Division.objects.filter(level=Level.COMPOUND).values_list("parent__kind", "kind"))
    assert set(kinds) == {(Kind.COMMUNITY, Kind.COMPOUND), (Kind.VILLAGE, Kind.VILLAGE_GROUP)}
    # every household's path is its most specific node and its FKs agree with it
    for h in Household.objects.select_related("community", "compound", "unit")[:200]:
        assert h.path.startswith(h.compound.code) and h.compound.code.startswith(h.community.code)
        assert h.path == (h.unit.code if h.unit else h.compound.code)
    assert not Resident.objects.exclude(path__in=Household.objects.values("path")).exists()


@pytest.mark.django_db
def test_identity_numbers_and_phones_are_valid(generated):
    checked = 0
    for r in Resident.objects.all():
        if r.document_type == "none":
            assert r.guardian_id is not None and r.infant
            continue
        number = r.id_number_plain()
        parsed = idnumber.parse(number, today=TODAY)
        assert (parsed.birth_date, parsed.sex) == (r.birth_date, r.sex)
        assert r.id_hash == pii.lookup_hash("id", number)
        checked += 1
        if r.phone_enc and checked % 7 == 0:
            phone = r.phone_plain()
            assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "CN")), phone
    assert checked > 0.95 * Resident.objects.count()
    local = Resident.objects.filter(residence_status="registered").exclude(document_type="none")
    share_620103 = sum(1 for r in local if r.id_number_plain().startswith("620103")) / local.count()
    assert share_620103 > 0.7


@pytest.mark.django_db
def test_age_structure_and_vulnerability_shares(generated):
    ages = [r.age_on(TODAY) for r in Resident.objects.only("birth_date")]
    n = len(ages)
    children = sum(a < 15 for a in ages) / n
    elderly = sum(a >= 60 for a in ages) / n
    assert 0.08 < children < 0.30
    assert 0.12 < elderly < 0.35
    flags = Resident.objects.filter
    assert flags(elderly_alone=True).exists() and flags(bedridden=True).exists()
    assert flags(no_smartphone=True).exists() and flags(infant=True).exists()
    assert flags(pregnant=True, sex="M").count() == 0
    # elderly living alone are alone in their household
    for r in flags(elderly_alone=True)[:50]:
        assert r.household.residents.count() == 1 and r.age_on(TODAY) >= 65


@pytest.mark.django_db
def test_same_seed_same_people_and_rerun_does_not_duplicate(qilihe):
    from django.db import transaction

    def fingerprint():
        return sorted(Resident.objects.values_list("path", "name", "birth_date", "sex", "id_hash", "phone_hash"))

    with transaction.atomic():
        first = generate_population(actor=None, district=qilihe, scale=0.005, seed=3, today=TODAY)
        snapshot = fingerprint()
        again = generate_population(actor=None, district=qilihe, scale=0.005, seed=3, today=TODAY)
        assert again.skipped and Resident.objects.count() == first.residents
        transaction.set_rollback(True)  # start again from an empty registry
    assert Resident.objects.count() == 0
    generate_population(actor=None, district=qilihe, scale=0.005, seed=3, today=TODAY)
    assert fingerprint() == snapshot
    assert len(snapshot) == first.residents


@pytest.mark.django_db
def test_command_reports_skip_on_second_run(qilihe, capsys):
    from django.utils import translation

    with translation.override("en"):
        call_command("generate_population", "--code", "620103", "--scale", "0.002", "--seed", "1")
    with translation.override("zh-hans"):
        call_command("generate_population", "--code", "620103", "--scale", "0.002", "--seed", "1")
    out = capsys.readouterr().out
    assert "Generated 620103 scale 0.002 seed 1:" in out
    assert "620103 的人口已存在" in out and "未生成任何数据" in out
