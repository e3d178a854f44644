"""Ship the report rule set and the report layouts as data (Lianfang issue 9).

The values are frozen here (a migration never changes); ``load`` is idempotent (matched by key,
values brought back to these), and ``lianfang.reports.shipped.ensure_shipped`` calls it again for
tests that flush the database.
"""

from django.db import migrations

RULE_SETS = [
    {
        "key": "command-2022",
        "name": "区指挥部日报规则（2022）",
        "source": (
            "Lianfang issue 9: a day's report can only be closed when no positive pool lacks follow-up; "
            "positive pool follow-up (混管阳性复核): every member isolated in place and re-swabbed individually, "
            "../shared/docs/domain.md §4"
        ),
        "effective_from": "2020-01-01",
        "close_requires_follow_up": True,
        "close_blocks_on_overdue_steps": True,
        "trend_days": 30,
    }
]

LAYOUTS = [
    {
        "key": "health-commission-daily",
        "name": "卫健委疫情防控日报表",
        "name_en": "Health commission daily form",
        "form_title": "疫情防控工作日报表（卫生健康部门）",
        "form_title_en": "Daily epidemic-control form (health commission)",
        "issuer": "区卫生健康局",
        "source": "communities",
        "columns": [
            {"field": "street"},
            {"field": "community"},
            {"field": "households"},
            {"field": "residents"},
            {"field": "strict_residents", "label": "封控区人数", "label_en": "In sealed/high-risk areas"},
            {"field": "second_residents", "label": "管控区人数", "label_en": "In controlled/medium-risk areas"},
            {"field": "round_expected", "label": "应检人数", "label_en": "To test"},
            {"field": "round_sampled", "label": "已采样人数", "label_en": "Sampled"},
            {"field": "round_missed", "label": "漏检人数", "label_en": "Missed"},
            {"field": "pools_open", "label": "混管阳性待复核", "label_en": "Positive pools in follow-up"},
            {"field": "deployed", "label": "在岗人员", "label_en": "People at work"},
        ],
        "filters": {},
        "order_by": "",
        "totals": True,
    },
    {
        "key": "police-returnee-list",
        "name": "公安返乡来返人员名单",
        "name_en": "Police list of returnees and travellers",
        "form_title": "外地来（返）人员摸排登记表",
        "form_title_en": "Register of people arriving from elsewhere",
        "issuer": "公安分局",
        "source": "screened_people",
        "columns": [
            {"field": "name"},
            {"field": "id_masked"},
            {"field": "phone_masked"},
            {"field": "category"},
            {"field": "origin"},
            {"field": "arrived_on"},
            {"field": "risk_area"},
            {"field": "place"},
            {"field": "status"},
        ],
        "filters": {"category": ["inflow", "risk_traveller"]},
        "order_by": "arrived_on",
        "totals": False,
    },
    {
        "key": "control-area-list",
        "name": "封控区管控区清单",
        "name_en": "List of control areas",
        "form_title": "封控区、管控区划定情况表",
        "form_title_en": "Control areas in force",
        "issuer": "区疫情防控指挥部",
        "source": "control_areas",
        "columns": [
            {"field": "name"},
            {"field": "tier"},
            {"field": "since"},
            {"field": "days_in_force"},
            {"field": "households"},
            {"field": "residents"},
            {"field": "last_infection_on"},
            {"field": "earliest_change_on"},
        ],
        "filters": {},
        "order_by": "",
        "totals": True,
    },
    {
        "key": "positive-pool-follow-up",
        "name": "混管阳性复核台账",
        "name_en": "Positive pool follow-up register",
        "form_title": "混管阳性复核工作台账",
        "form_title_en": "Positive pool follow-up register",
        "issuer": "区疫情防控指挥部",
        "source": "positive_pools",
        "columns": [
            {"field": "barcode"},
            {"field": "round"},
            {"field": "place"},
            {"field": "people"},
            {"field": "result_at"},
            {"field": "state"},
            {"field": "next_due"},
            {"field": "overdue"},
        ],
        "filters": {},
        "order_by": "",
        "totals": False,
    },
    {
        "key": "request-backlog",
        "name": "群众诉求未办结清单",
        "name_en": "Open service requests",
        "form_title": "群众诉求未办结情况表",
        "form_title_en": "Service requests still open",
        "issuer": "区疫情防控指挥部",
        "source": "service_requests",
        "columns": [
            {"field": "number"},
            {"field": "category"},
            {"field": "priority"},
            {"field": "status"},
            {"field": "place"},
            {"field": "received_at"},
            {"field": "due_at"},
            {"field": "overdue"},
        ],
        "filters": {"open": True},
        "order_by": "",
        "totals": False,
    },
]


def load(apps, schema_editor=None):
    """Create or restore the shipped rule set and layouts (idempotent)."""
    rule_set = apps.get_model("reports", "ReportRuleSet")
    layout = apps.get_model("reports", "ReportLayout")
    for values in RULE_SETS:
        rule_set.objects.update_or_create(key=values["key"], defaults={k: v for k, v in values.items() if k != "key"})
    for values in LAYOUTS:
        layout.objects.update_or_create(
            key=values["key"],
            defaults={**{k: v for k, v in values.items() if k != "key"}, "is_builtin": True, "district": None},
        )


def unload(apps, schema_editor):
    apps.get_model("reports", "ReportLayout").objects.filter(is_builtin=True, key__in=[v["key"] for v in LAYOUTS]).delete()
    apps.get_model("reports", "ReportRuleSet").objects.filter(key__in=[v["key"] for v in RULE_SETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
