from rest_framework import serializers

from lianfang.divisions.models import Division


class DivisionSerializer(serializers.ModelSerializer):
    """A division; ``parent`` is the parent's code (null for a province)."""

    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Division
        fields = ["code", "name", "short_name", "level", "kind", "parent", "is_official"]


class DivisionShapeSerializer(serializers.ModelSerializer):
    """A division with its GeoJSON shape (``schematic`` true: generated, not a real boundary)."""

    class Meta:
        model = Division
        fields = ["code", "short_name", "level", "kind", "geometry", "schematic"]
