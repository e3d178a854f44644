from lianfang.core.api import ScopedReadOnlyViewSet
from lianfang.registry import services
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
    q/search, id_number, phone (see ResidentFilterSet); a list filtered by one of those four is a search,
    audited once per request (services.record_search)."""

    queryset = Resident.objects.order_by("path", "household_id", "id")
    serializer_class = ResidentSerializer
    filterset_class = ResidentFilterSet

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        data = response.data
        results = data["count"] if isinstance(data, dict) and "count" in data else len(data)
        services.record_search(actor=request.user, params=request.query_params, results=results, where="api:residents")
        return response
