import pytest


@pytest.mark.django_db
def test_population_fixture(population):
    from lianfang.registry.models import Household, Resident

    assert Household.objects.count() == 3
    assert Resident.objects.count() == 7
    assert population["张三"].id_masked == "1101**********002X"
    assert population["张三"].name_initials == "zs"
