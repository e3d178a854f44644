"""API shapes of the workforce app. Phones and ID numbers are always masked here."""

from __future__ import annotations

from rest_framework import serializers

from lianfang.core.serializers import UsableDateField
from lianfang.workforce.models import Deployment, ResponsibilityAssignment, Team, Worker


class WorkerSerializer(serializers.ModelSerializer):
    """A worker: categories as a list of Category values, base division code, masked phone and ID."""

    categories = serializers.SerializerMethodField()
    base_division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    id_number = serializers.CharField(source="id_masked", read_only=True)
    has_account = serializers.SerializerMethodField()

    class Meta:
        model = Worker
        fields = [
            "id",
            "name",
            "categories",
            "base_division",
            "path",
            "position",
            "sending_organisation",
            "phone",
            "id_number",
            "has_account",
        ]

    def get_categories(self, obj) -> list[str]:
        return obj.category_values

    def get_has_account(self, obj) -> bool:
        return obj.user_id is not None


class DeploymentSerializer(serializers.ModelSerializer):
    """A deployment: worker id and name, division and community codes, inclusive period (``ends_on`` null: open)."""

    worker_name = serializers.CharField(source="worker.name", read_only=True)
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Deployment
        fields = ["id", "worker", "worker_name", "division", "community", "starts_on", "ends_on", "duty", "end_reason"]


class TeamSerializer(serializers.ModelSerializer):
    """A team: base division code, leader and member worker ids, duties."""

    base_division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "base_division", "leader", "members", "duties"]


class AssignmentSerializer(serializers.ModelSerializer):
    """A responsibility assignment: level 1-4, worker, unit (division code; household id for L4),
    inclusive period, end reason and the assignment it took over from (``previous``)."""

    level = serializers.IntegerField(
        read_only=True,
        min_value=1,
        max_value=4,
        help_text="1 street/town leadership → community; 2 cadre → community or compound; "
        "3 community staff → compound; 4 household representative → household",
    )
    worker_name = serializers.CharField(source="worker.name", read_only=True)
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ResponsibilityAssignment
        fields = [
            "id",
            "level",
            "worker",
            "worker_name",
            "division",
            "household",
            "path",
            "starts_on",
            "ends_on",
            "end_reason",
            "previous",
        ]


class LevelCountsSerializer(serializers.Serializer):
    l1 = serializers.IntegerField()
    l2 = serializers.IntegerField()
    l3 = serializers.IntegerField()


class CoverageCountsSerializer(serializers.Serializer):
    """Counts of one coverage row (selectors.CoverageCounts)."""

    households = serializers.IntegerField()
    households_without_l4 = serializers.IntegerField()
    units = LevelCountsSerializer()
    gaps = LevelCountsSerializer()
    outside_scope = serializers.IntegerField()
    overloaded = serializers.IntegerField()


class CoverageRowSerializer(CoverageCountsSerializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CoverageSerializer(serializers.Serializer):
    """The coverage report of a division on a day: totals and one row per child division."""

    code = serializers.CharField()
    name = serializers.CharField()
    date = UsableDateField()
    rule_set = serializers.CharField()
    overload_threshold = serializers.IntegerField()
    totals = CoverageCountsSerializer()
    rows = CoverageRowSerializer(many=True)

    @staticmethod
    def from_report(report) -> dict:
        return {
            "code": report.division.code,
            "name": report.division.short_name,
            "date": report.on,
            "rule_set": report.rules.code,
            "overload_threshold": report.rules.overload_threshold,
            "totals": report.totals.as_dict(),
            "rows": [{"code": d.code, "name": d.short_name, **c.as_dict()} for d, c in report.rows],
        }
