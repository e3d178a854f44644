from lianfang.core.api import ScopedReadOnlyViewSet
from lianfang.registry.api.serializers import HouseholdSerializer, ResidentSerializer
from lianfang.registry.filtersets import HouseholdFilterSet, ResidentFilterSet
from lianfang.registry.models import Household, Resident


class HouseholdViewSet(ScopedReadOnlyViewSet):
    """Households in the caller's scope. Filters: within, community, compound."""

    queryset = Household.objects.select_related("community", "compound").order_by("path", "room", "id")
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilterSet


class ResidentViewSet(ScopedReadOnlyViewSet):
    """Residents in the caller's scope (masked). Filters: within, household, flag, residence_status,
    q/search, id_number, phone (see ResidentFilterSet)."""

    queryset = Resident.objects.order_by("path", "household_id", "id")
    serializer_class = ResidentSerializer
    filterset_class = ResidentFilterSet
