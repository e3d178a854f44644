from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import ScopedReadOnlyViewSet
from lianfang.divisions.api.serializers import DivisionSerializer, DivisionShapeSerializer
from lianfang.divisions.filtersets import DivisionFilterSet
from lianfang.divisions.models import Division


class DivisionViewSet(ScopedReadOnlyViewSet):
    """Divisions in the caller's scope, looked up by code. Filters: parent, level, kind, within."""

    queryset = Division.objects.select_related("parent").order_by("code")
    serializer_class = DivisionSerializer
    filterset_class = DivisionFilterSet
    lookup_field = "code"

    @extend_schema(responses=DivisionShapeSerializer)
    @action(detail=True, methods=["get"])
    def shape(self, request, code=None):
        """The division's GeoJSON shape."""
        return Response(DivisionShapeSerializer(self.get_object()).data)
