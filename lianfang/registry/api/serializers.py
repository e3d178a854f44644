from rest_framework import serializers

from lianfang.registry.models import VULNERABILITY_FLAGS, Household, Resident


class HouseholdSerializer(serializers.ModelSerializer):
    """A household; phone masked; division codes for community and compound."""

    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    compound = serializers.SlugRelatedField(slug_field="code", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = Household
        fields = ["id", "address", "path", "community", "compound", "room", "contact_name", "phone"]


class ResidentSerializer(serializers.ModelSerializer):
    """A resident; ID and phone masked (``4405**********0014``, ``138****5678``); flags as a list."""

    id_number = serializers.CharField(source="id_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    flags = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = [
            "id",
            "household",
            "path",
            "name",
            "document_type",
            "id_number",
            "sex",
            "birth_date",
            "phone",
            "residence_status",
            "relation",
            "flags",
        ]

    def get_flags(self, obj) -> list[str]:
        return [name for name, _ in VULNERABILITY_FLAGS if getattr(obj, name)]
