"""Ship the three national rule sets (../shared/docs/domain.md §2-§4) as data.

The values are frozen here (a migration never changes); ``load`` is idempotent (matched by key,
values brought back to these), and ``lianfang.zones.shipped.ensure_shipped_rule_sets`` calls it again
for tests that flush the database. Items marked [verify] come from secondary reprints of the
official texts, as in domain.md.
"""

from django.db import migrations

DOMAIN = "../shared/docs/domain.md"

RULE_SETS = [
    {
        "key": "nhc-8th-era",
        "name": "第八版防控方案时期（封控区/管控区/防范区）",
        "name_en": "8th-edition era (sealed / controlled / precaution areas)",
        "edition": "8th-era",
        "effective_from": "2021-05-11",
        "is_default": True,
        "source": (
            "国务院联防联控机制综合组《新型冠状病毒肺炎防控方案（第八版）》（联防联控机制综发〔2021〕51号，"
            "2021-05-11）及2021年至2022年6月各地封控区、管控区、防范区划定与解封做法 [verify]; "
            f"{DOMAIN} §2 (8th-edition era, the Qilihe operation of March 2022)"
        ),
        "contact_window_days": 2,
        "close_centralized_days": 14,
        "close_home_days": 7,
        "close_centralized_test_days": [1, 4, 7, 14],
        "close_home_test_days": [2, 7],
        "secondary_traced": True,
        "secondary_mode": "centralized",
        "secondary_days": 7,
        "secondary_test_days": [1, 4, 7],
        "round_deadline_hours": 24,
        "quarantine_source": (
            "《新型冠状病毒肺炎防控方案（第八版）》密切接触者14天集中隔离（第1、4、7、14天检测）+7天居家健康监测"
            "（第2、7天检测）；密接的密接7天集中隔离（第1、4、7天检测） [verify]; "
            f"{DOMAIN} §3; regional round within 24 h: 区域核酸检测组织实施指南（第三版，2022年3月） {DOMAIN} §4"
        ),
        "tiers": [
            {
                "key": "sealed",
                "rank": 1,
                "name": "封控区",
                "name_en": "Sealed area",
                "measures": "区域封闭、足不出户、服务上门；24小时值守和巡查；上门采样，单人单管或1户1管。",
                "measures_en": (
                    "Area closed, nobody leaves home, services come to the door; 24-hour guard and patrol; "
                    "door-to-door sampling, one tube per person or per household."
                ),
                "colour": "#c62828",
                "pooling_modes": ["single", "household"],
                "first_screening_hours": 24,
                "proposal_level": 6,
                "propose_for_places": False,
                "max_node_level": None,
                "is_baseline": False,
                "source": f"{DOMAIN} §1-§2, §4; first screening within 24 h (NHC, June 2022) [verify]",
            },
            {
                "key": "controlled",
                "rank": 2,
                "name": "管控区",
                "name_en": "Controlled area",
                "measures": "人不出区、严禁聚集；错峰取物；10合1混采。",
                "measures_en": "Nobody leaves the area, no gatherings; staggered pick-up; 10-in-1 pooled sampling.",
                "colour": "#ef6c00",
                "pooling_modes": ["pool_10"],
                "first_screening_hours": 48,
                "proposal_level": 5,
                "propose_for_places": True,
                "max_node_level": None,
                "is_baseline": False,
                "upgrade_to": "sealed",
                "source": (
                    f"{DOMAIN} §1-§2, §4: a positive found in a controlled area turns it sealed at once; "
                    "first screening within 48 h (NHC, June 2022) [verify]"
                ),
            },
            {
                "key": "precaution",
                "rank": 3,
                "name": "防范区",
                "name_en": "Precaution area",
                "measures": "强化社会面管控，严格限制人员聚集；20合1混采。",
                "measures_en": "Stronger control of public places, gatherings strictly limited; 20-in-1 pooled sampling.",
                "colour": "#fbc02d",
                "pooling_modes": ["pool_20"],
                "first_screening_hours": None,
                "proposal_level": 3,
                "propose_for_places": False,
                "max_node_level": None,
                "is_baseline": True,
                "source": f"{DOMAIN} §1-§2, §4",
            },
        ],
        "lift_rules": [
            {
                "tier": "sealed",
                "to_tier": None,
                "entered_by": "any",
                "quiet_days": 14,
                "counted_from": "last_infection",
                "round_within_days": 2,
                "contact_clear_days": 14,
                "source": (
                    f"{DOMAIN} §2: no new infection in the area for 14 days; the last close contact is >14 days "
                    "past exposure and negative; a whole-area round within the 2 days before lifting all negative"
                ),
            },
            {
                "tier": "controlled",
                "to_tier": None,
                "entered_by": "any",
                "quiet_days": 14,
                "counted_from": "last_infection",
                "round_within_days": 2,
                "contact_clear_days": 14,
                "source": f"{DOMAIN} §2: as for sealed areas",
            },
            {
                "tier": "precaution",
                "to_tier": None,
                "entered_by": "any",
                "requires_stricter_lifted": True,
                "source": f"{DOMAIN} §2: precaution lifts when every sealed and controlled area of the district has",
            },
        ],
    },
    {
        "key": "nhc-9th",
        "name": "第九版防控方案（高/中/低风险区）",
        "name_en": "9th edition (high / medium / low risk areas)",
        "edition": "9th",
        "effective_from": "2022-06-27",
        "is_default": False,
        "source": (
            "国务院联防联控机制综合组《新型冠状病毒肺炎防控方案（第九版）》（联防联控机制综发〔2022〕71号，"
            f"2022-06-27） [verify]; {DOMAIN} §2"
        ),
        "contact_window_days": 2,
        "close_centralized_days": 7,
        "close_home_days": 3,
        "close_centralized_test_days": [1, 2, 3, 5, 7],
        "close_home_test_days": [3],
        "secondary_traced": True,
        "secondary_mode": "home",
        "secondary_days": 7,
        "secondary_test_days": [1, 4, 7],
        "round_deadline_hours": 24,
        "quarantine_source": (
            "《新型冠状病毒肺炎防控方案（第九版）》密切接触者“7+3”（集中隔离第1、2、3、5、7天检测，居家第3天检测）；"
            f"密接的密接7天居家隔离（第1、4、7天检测） [verify]; {DOMAIN} §3"
        ),
        "tiers": [
            {
                "key": "high",
                "rank": 1,
                "name": "高风险区",
                "name_en": "High-risk area",
                "measures": "足不出户、上门服务；原则上以居住小区为单位划定；上门采样，单人单管或1户1管。",
                "measures_en": (
                    "Nobody leaves home, services come to the door; in principle one compound; door-to-door "
                    "sampling, one tube per person or per household."
                ),
                "colour": "#c62828",
                "pooling_modes": ["single", "household"],
                "first_screening_hours": 24,
                "proposal_level": 6,
                "propose_for_places": False,
                "max_node_level": 6,
                "is_baseline": False,
                "source": f"{DOMAIN} §2: a high area is in principle one compound; first screening 24 h [verify]",
            },
            {
                "key": "medium",
                "rank": 2,
                "name": "中风险区",
                "name_en": "Medium-risk area",
                "measures": "人不出区、错峰取物；10合1混采。",
                "measures_en": "Nobody leaves the area; staggered pick-up; 10-in-1 pooled sampling.",
                "colour": "#ef6c00",
                "pooling_modes": ["pool_10"],
                "first_screening_hours": 48,
                "proposal_level": None,
                "propose_for_places": True,
                "max_node_level": None,
                "is_baseline": False,
                "source": f"{DOMAIN} §2, §4 [verify]",
            },
            {
                "key": "low",
                "rank": 3,
                "name": "低风险区",
                "name_en": "Low-risk area",
                "measures": "个人防护、避免聚集；20合1混采。",
                "measures_en": "Personal protection, avoid gatherings; 20-in-1 pooled sampling.",
                "colour": "#fbc02d",
                "pooling_modes": ["pool_20"],
                "first_screening_hours": None,
                "proposal_level": 3,
                "propose_for_places": False,
                "max_node_level": None,
                "is_baseline": True,
                "source": f"{DOMAIN} §2, §4",
            },
        ],
        "lift_rules": [
            {
                "tier": "high",
                "to_tier": "medium",
                "entered_by": "any",
                "quiet_days": 7,
                "counted_from": "last_infection",
                "round_from_day": 7,
                "source": f"{DOMAIN} §2: high → medium after 7 days with no new infection and an all-negative "
                "whole-area round on day 7",
            },
            {
                "tier": "medium",
                "to_tier": None,
                "entered_by": "downgraded",
                "quiet_days": 3,
                "counted_from": "tier_entry",
                "source": f"{DOMAIN} §2: (high → medium) then → low after 3 more days",
            },
            {
                "tier": "medium",
                "to_tier": None,
                "entered_by": "declared",
                "quiet_days": 7,
                "counted_from": "last_infection",
                "round_from_day": 7,
                "source": f"{DOMAIN} §2: medium → low after 7 days and a day-7 all-negative round",
            },
            {
                "tier": "low",
                "to_tier": None,
                "entered_by": "any",
                "requires_stricter_lifted": True,
                "source": f"{DOMAIN} §2: low lifts when all high/medium areas of the county are lifted",
            },
        ],
    },
    {
        "key": "twenty-measures",
        "name": "二十条优化措施（高/低风险区）",
        "name_en": "The 20 measures (high / low risk areas)",
        "edition": "20-measures",
        "effective_from": "2022-11-11",
        "is_default": False,
        "source": (
            "国务院联防联控机制综合组《关于进一步优化新冠肺炎疫情防控措施 科学精准做好防控工作的通知》"
            f"（二十条，2022-11-11） [verify]; {DOMAIN} §2"
        ),
        "contact_window_days": 2,
        "close_centralized_days": 5,
        "close_home_days": 3,
        "close_centralized_test_days": [1, 2, 3, 5],
        "close_home_test_days": [1, 3],
        "secondary_traced": False,
        "secondary_mode": "",
        "secondary_days": 0,
        "secondary_test_days": [],
        "round_deadline_hours": 24,
        "quarantine_source": (
            "二十条：密切接触者“5+3”（5天集中隔离+3天居家隔离），不再判定密接的密接；检测日 [verify]; "
            f"{DOMAIN} §3"
        ),
        "tiers": [
            {
                "key": "high",
                "rank": 1,
                "name": "高风险区",
                "name_en": "High-risk area",
                "measures": "一般以单元、楼栋为单位划定，不得随意扩大；足不出户、上门服务。",
                "measures_en": (
                    "Drawn as a stairwell or building, never enlarged at will; nobody leaves home, services come "
                    "to the door."
                ),
                "colour": "#c62828",
                "pooling_modes": ["single", "household"],
                "first_screening_hours": 24,
                "proposal_level": 7,
                "propose_for_places": False,
                "max_node_level": 7,
                "is_baseline": False,
                "source": f"{DOMAIN} §2: a high area is a building or stairwell and may not be enlarged at will",
            },
            {
                "key": "low",
                "rank": 2,
                "name": "低风险区",
                "name_en": "Low-risk area",
                "measures": "个人防护、避免聚集。",
                "measures_en": "Personal protection, avoid gatherings.",
                "colour": "#fbc02d",
                "pooling_modes": ["pool_20"],
                "first_screening_hours": None,
                "proposal_level": 3,
                "propose_for_places": False,
                "max_node_level": None,
                "is_baseline": True,
                "source": f"{DOMAIN} §2 [verify]",
            },
        ],
        "lift_rules": [
            {
                "tier": "high",
                "to_tier": None,
                "entered_by": "any",
                "quiet_days": 5,
                "counted_from": "last_infection",
                "source": f"{DOMAIN} §2: a high area lifts after 5 days with no new infection",
            },
            {
                "tier": "low",
                "to_tier": None,
                "entered_by": "any",
                "requires_stricter_lifted": True,
                "source": f"{DOMAIN} §2: low lifts when every high area has",
            },
        ],
    },
]

_LIFT_DEFAULTS = {
    "quiet_days": None,
    "counted_from": "last_infection",
    "round_from_day": None,
    "round_within_days": None,
    "contact_clear_days": None,
    "requires_stricter_lifted": False,
}


def load(apps, schema_editor=None):
    """Create or restore the shipped rule sets, their tiers and lifting rules (idempotent)."""
    import datetime as dt

    RuleSet = apps.get_model("zones", "RuleSet")
    RuleTier = apps.get_model("zones", "RuleTier")
    LiftRule = apps.get_model("zones", "LiftRule")
    for data in RULE_SETS:
        values = {k: v for k, v in data.items() if k not in ("key", "tiers", "lift_rules")}
        values["effective_from"] = dt.date.fromisoformat(values["effective_from"])
        values["is_builtin"] = True
        values["district"] = None
        if values["is_default"]:
            RuleSet.objects.filter(is_default=True).exclude(key=data["key"]).update(is_default=False)
        rule_set, _ = RuleSet.objects.update_or_create(key=data["key"], defaults=values)
        tiers = {}
        for tier in data["tiers"]:
            tier_values = {k: v for k, v in tier.items() if k not in ("key", "upgrade_to")}
            tiers[tier["key"]], _ = RuleTier.objects.update_or_create(
                rule_set=rule_set, key=tier["key"], defaults=tier_values
            )
        for tier in data["tiers"]:
            upgrade = tiers[tier["upgrade_to"]] if tier.get("upgrade_to") else None
            RuleTier.objects.filter(pk=tiers[tier["key"]].pk).update(upgrade_to=upgrade)
        for rule in data["lift_rules"]:
            rule_values = {**_LIFT_DEFAULTS, **{k: v for k, v in rule.items() if k not in ("tier", "entered_by")}}
            rule_values["to_tier"] = tiers[rule["to_tier"]] if rule["to_tier"] else None
            LiftRule.objects.update_or_create(
                tier=tiers[rule["tier"]], entered_by=rule["entered_by"], defaults=rule_values
            )


class Migration(migrations.Migration):
    dependencies = [("zones", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
