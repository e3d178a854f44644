"""From report data to a :class:`~lianfang.reports.render.Document`: the daily report (a dict from
:func:`lianfang.reports.daily.build`, live or frozen) and the rows of a report layout."""

from __future__ import annotations

import datetime as dt

from django.utils import translation
from django.utils.translation import gettext as _

from lianfang.reports.render import Column, Document, Table
from lianfang.reports.sources import optional


def _sheet_labels() -> dict[str, str]:
    columns = optional("lianfang.workforce.sheet", "SHEET_COLUMNS") or ()
    return {c.key: str(c.label) for c in columns}


def _tier_name(tier: dict, language: str) -> str:
    return tier.get("name_en") if language == "en" else tier.get("name")


def coverage_columns() -> list[Column]:
    """The columns a round's coverage is shown in, in the reader's language: every expected person is
    in exactly one of them, so ``expected = negative + positive + pending + invalid + exempt +
    home_visit_open + missed`` (screening.selectors.COVERAGE_COUNTS). An invalid tube is its own
    column (re-sampling), never hidden in "sampled" (new-user trial: the columns did not add up)."""
    return [
        Column("negative", _("Negative"), "int"),
        Column("positive", _("Positive"), "int"),
        Column("pending", _("Results pending"), "int"),
        Column("invalid", _("Invalid: re-sampling"), "int"),
        Column("exempt", _("Exempt"), "int"),
        Column("home_visit_open", _("Home visit pending"), "int"),
        Column("missed", _("Missed"), "int"),
    ]


def _not_available() -> str:
    return _("Not available: this part of Lianfang is not installed yet.")


def daily_document(report: dict, *, language: str, watermark: str = "", links=None, part: str = "") -> Document:
    """The daily report ``report`` as a Document in ``language`` (``zh-hans`` or ``en``): the paragraph,
    then key figures, control areas by tier, the areas, the workforce sheet, testing, requests and
    personnel screening. ``links`` (a reports.links.Links) adds drill-down URLs for the HTML page.
    ``part`` (views._part_label: ``"下西园社区 › 阳光小区"``) names the part of the division a reader
    sees when the report is cut to it (a grid worker's compound): the title and the reporting unit
    then name that part, not the whole division (``"下西园社区 › 阳光小区疫情防控工作日报"``)."""
    with translation.override(language):
        day = dt.date.fromisoformat(report["date"])
        unit = part or report["division"]["name"]
        doc = Document(
            title=_("Daily report of %(division)s") % {"division": unit},
            unit=unit,
            day=day,
            language=language,
            paragraphs=[report["paragraph"][language]],
            watermark=watermark,
        )
        doc.tables.append(_key_figures(report, language, links))
        doc.tables.append(_tier_table(report, language, links))
        doc.tables.append(_areas_table(report, language, links))
        doc.tables.append(_workforce_table(report, links))
        doc.tables.append(_testing_table(report, links))
        doc.tables.append(_requests_table(report, links))
        doc.tables.append(_screening_table(report, language, links))
        return doc


def _key_figures(report: dict, language: str, links) -> Table:
    rows, urls = [], []

    def add(label, value, url=None):
        rows.append([label, value])
        urls.append([None, url])

    population = report["population"]
    add(_("Households"), population["households"], links and links.population())
    add(_("Residents"), population["residents"], links and links.population())
    tiers = report["tiers"]
    for tier in tiers.get("tiers", []):
        add(
            _("%(tier)s: areas in force") % {"tier": _tier_name(tier, language)},
            tier["areas"],
            links and links.tier(tier["key"]),
        )
        add(
            _("%(tier)s: residents") % {"tier": _tier_name(tier, language)},
            tier["residents"],
            links and links.tier_population(),
        )
    infections = report["infections"]
    if infections.get("available"):
        add(_("New infections on the day"), infections["on_day"], links and links.infections(on_day=True))
        add(_("Infections in all"), infections["total"], links and links.infections())
    workforce = report["workforce"]
    if workforce.get("available"):
        add(_("People deployed"), workforce["totals"]["total"], links and links.workforce())
    testing = report["testing"]
    if testing.get("available"):
        for rnd in testing["rounds"][:1]:
            add(_("Round %(name)s: sampled") % {"name": rnd["name"]}, rnd["sampled"], links and links.round(rnd["id"]))
            add(
                _("Round %(name)s: missed") % {"name": rnd["name"]},
                rnd["missed"],
                links and links.round_coverage(rnd["id"]),
            )
        pools = testing.get("pools") or {}
        if pools:
            add(_("Positive pools under follow-up"), pools["open"], links and links.pools())
            add(
                _("Positive pools overdue or without follow-up"),
                pools["overdue"] + pools["missing"],
                links and links.pools(overdue=True),
            )
    requests = report["requests"]
    if requests.get("available"):
        add(_("Requests received on the day"), requests["received"], links and links.requests_received())
        add(_("Requests open"), requests["open"], links and links.requests())
        add(_("Requests overdue"), requests["overdue"], links and links.requests(overdue=True))
    return Table(
        title=_("Key figures"),
        columns=[Column("item", _("Item")), Column("value", _("Count"), "int")],
        rows=rows,
        links=urls,
    )


def _tier_table(report: dict, language: str, links) -> Table:
    tiers = report["tiers"]
    table = Table(
        title=_("Control areas by tier"),
        columns=[
            Column("tier", _("Tier")),
            Column("areas", _("Areas"), "int"),
            Column("households", _("Households"), "int"),
            Column("residents", _("Residents"), "int"),
        ],
        links=[],
    )
    if not tiers.get("available"):
        table.note = _not_available()
        return table
    for tier in tiers["tiers"]:
        table.rows.append([_tier_name(tier, language), tier["areas"], tier["households"], tier["residents"]])
        table.links.append([None, links and links.tier(tier["key"]), links and links.tier_population(), None])
    outside = tiers["outside"]
    table.rows.append([_("Outside any area"), None, outside["households"], outside["residents"]])
    table.links.append([None, None, None, None])
    population = tiers["population"]
    table.totals = [
        _("Total"),
        sum(t["areas"] for t in tiers["tiers"]),
        population["households"],
        population["residents"],
    ]
    return table


def _areas_table(report: dict, language: str, links) -> Table:
    areas = report["areas"]
    table = Table(
        title=_("Control areas in force"),
        columns=[
            Column("name", _("Area")),
            Column("tier", _("Tier")),
            Column("since", _("In force since"), "date"),
            Column("households", _("Households"), "int"),
            Column("residents", _("Residents"), "int"),
            Column("last_infection_on", _("Last infection inside"), "date"),
            Column("earliest_change_on", _("Earliest lift or downgrade"), "date"),
        ],
        links=[],
    )
    if not areas.get("available"):
        table.note = _not_available()
        return table
    for row in areas["rows"]:
        table.rows.append(
            [
                row["name"],
                row["tier_name_en"] if language == "en" else row["tier_name"],
                _date(row["since"]),
                row["households"],
                row["residents"],
                _date(row["last_infection_on"]),
                _date(row["earliest_change_on"]),
            ]
        )
        table.links.append([links and links.area(row["id"]), None, None, None, None, None, None])
    if not areas["rows"]:
        table.note = _("No control area is in force.")
    return table


def _date(value):
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return value


def _workforce_table(report: dict, links) -> Table:
    workforce = report["workforce"]
    labels = _sheet_labels()
    keys = [k for k in workforce.get("columns", []) if k not in ("communities", "compounds")]
    table = Table(
        title=_("Workforce"),
        columns=[
            Column("street", _("Street/town")),
            Column("community", _("Community/village")),
            Column("communities", _("Communities"), "int"),
            Column("compounds", _("Compounds"), "int"),
            *[Column(k, labels.get(k, k), "int") for k in keys],
        ],
        links=[],
    )
    if not workforce.get("available"):
        table.note = _not_available()
        return table
    url = links and links.workforce()
    for street in workforce["streets"]:
        table.rows.append([street["name"], "", street["communities"], street["compounds"], *[street[k] for k in keys]])
        table.styles.append("strong")
        table.links.append([url] + [None] * (len(keys) + 3))
        for line in street["community_rows"]:
            table.rows.append(["", line["name"], line["communities"], line["compounds"], *[line[k] for k in keys]])
            table.styles.append("")
            table.links.append([None] * (len(keys) + 4))
    totals = workforce["totals"]
    table.totals = [_("Total"), "", totals["communities"], totals["compounds"], *[totals[k] for k in keys]]
    if not workforce["streets"]:
        table.note = _("Nobody deployed on the day.")
    return table


def _testing_table(report: dict, links) -> Table:
    testing = report["testing"]
    parts = coverage_columns()
    table = Table(
        title=_("Testing"),
        columns=[
            Column("name", _("Round")),
            Column("expected", _("Expected"), "int"),
            *parts,
            Column("percent", _("Done"), "percent"),
        ],
        links=[],
    )
    if not testing.get("available"):
        table.note = _not_available()
        return table
    for rnd in testing["rounds"]:
        table.rows.append([rnd["name"], rnd["expected"], *[rnd.get(c.key, 0) for c in parts], rnd["percent"]])
        table.links.append(
            [
                links and links.round(rnd["id"]),
                None,
                *[links and links.round_coverage(rnd["id"]) if c.key == "missed" else None for c in parts],
                None,
            ]
        )
    pools = testing.get("pools") or {}
    if pools:
        table.note = _(
            "Positive pools: %(day)s on the day, %(total)s in all; %(open)s under follow-up, %(overdue)s overdue, "
            "%(missing)s without follow-up."
        ) % {"day": pools["on_day"], **pools}
    elif not testing["rounds"]:
        table.note = _("No testing round ran on the day.")
    return table


def _requests_table(report: dict, links) -> Table:
    requests = report["requests"]
    language = translation.get_language()
    table = Table(
        title=_("Service requests"),
        columns=[
            Column("category", _("Category")),
            Column("received", _("Received on the day"), "int"),
            Column("open", _("Still open"), "int"),
            Column("overdue", _("Overdue"), "int"),
        ],
        links=[],
    )
    if not requests.get("available"):
        table.note = _not_available()
        return table
    for row in requests["by_category"]:
        table.rows.append([row["label"].get(language, row["key"]), row["received"], row["open"], row["overdue"]])
        table.links.append(
            [
                None,
                None,
                links and links.requests(category=row["key"]),
                links and links.requests(overdue=True, category=row["key"]),
            ]
        )
    table.totals = [_("Total"), requests["received"], requests["open"], requests["overdue"]]
    return table


def _screening_table(report: dict, language: str, links) -> Table:
    screening = report["screening"]
    table = Table(
        title=_("Personnel screening"),
        columns=[
            Column("category", _("Category")),
            Column("total", _("Known"), "int"),
            Column("new", _("Found on the day"), "int"),
            Column("isolated", _("In isolation"), "int"),
            Column("monitoring", _("Home health monitoring"), "int"),
            Column("unverified", _("Location to verify"), "int"),
        ],
        links=[],
    )
    if not screening.get("available"):
        table.note = _not_available()
        return table
    keys = ("total", "new", "isolated", "monitoring", "unverified")
    for row in screening["categories"]:
        table.rows.append([row["label"].get(language, row["key"]), *[row[k] for k in keys]])
        table.links.append([None, links and links.screened(row["key"]), None, None, None, None])
    table.totals = [_("Total"), *[sum(r[k] for r in screening["categories"]) for k in keys]]
    return table


# ------------------------------------------------------------------------------------------ layouts


def result_document(result, *, title: str, issuer: str = "", language: str, watermark: str = "") -> Document:
    """The rows of a layout or a records list (``layouts.LayoutResult``) as a one-table Document."""
    with translation.override(language):
        columns = [Column(c.key, c.label, c.kind) for c in result.columns]
        table = Table(title=title, columns=columns, rows=result.rows, totals=result.totals)
        if not result.rows:
            table.note = _("Nothing to report.")
        return Document(
            title=title,
            unit=result.division.short_name,
            day=result.day,
            language=language,
            issuer=issuer,
            tables=[table],
            watermark=watermark,
        )


# ------------------------------------------------------------------------------------------ overview


def overview_parts(data: dict, *, language: str, links) -> dict:
    """The overview's cards and tables with their drill-down links (see reports.overview.build):
    ``{"cards": [(key, label, value, url, alert)], "tiers", "places", "pools", "requests",
    "workforce", "coverage": [(key, label, n)]}`` (``coverage``: the current round's expected people in
    :func:`coverage_columns`, which add up to its expected) (Tables, or None for a part whose app is not available)."""
    with translation.override(language):
        pools = data["pools"]
        requests = data["requests"]
        gates = data["gates"]
        workforce = data["workforce"]
        infections = data["infections"]
        rnd = (data["round"] or {}).get("round")
        cards = [
            ("households", _("Households"), data["population"]["households"], links.population(), False),
            ("residents", _("Residents"), data["population"]["residents"], links.population(), False),
        ]
        for tier in data["tiers"].get("tiers", []):
            if tier["rank"] <= 2:
                cards.append(
                    (
                        f"tier-{tier['key']}",
                        _("%(tier)s: residents") % {"tier": _tier_name(tier, language)},
                        tier["residents"],
                        links.tier_population(),
                        bool(tier["residents"]),
                    )
                )
        if infections.get("available"):
            cards.append(
                (
                    "infections-today",
                    _("New infections today"),
                    infections["on_day"],
                    links.infections(on_day=True),
                    bool(infections["on_day"]),
                )
            )
        if rnd:
            cards.append(
                (
                    "round-missed",
                    _("Missed in the current round"),
                    rnd["missed"],
                    links.round_coverage(rnd["id"]),
                    bool(rnd["missed"]),
                )
            )
        if pools.get("available"):
            awaiting = pools["counts"]["open"] + pools["counts"]["missing"]
            late = pools["counts"]["overdue"] + pools["counts"]["missing"]
            cards.append(
                ("pools-awaiting", _("Positive pools awaiting follow-up"), awaiting, links.pools(), bool(awaiting))
            )
            cards.append(
                ("pools-overdue", _("Follow-ups overdue or missing"), late, links.pools(overdue=True), bool(late))
            )
        if requests.get("available"):
            cards.append(("requests-open", _("Requests open"), requests["open"], links.requests(), False))
            cards.append(
                (
                    "requests-overdue",
                    _("Requests overdue"),
                    requests["overdue"],
                    links.requests(overdue=True),
                    bool(requests["overdue"]),
                )
            )
        if gates.get("available"):
            cards.append(
                (
                    "gates-uncovered",
                    _("Gates uncovered today"),
                    gates["uncovered"],
                    links.gates(),
                    bool(gates["uncovered"]),
                )
            )
        if workforce.get("available"):
            cards.append(
                ("deployed", _("People deployed today"), workforce["totals"].get("total", 0), links.workforce(), False)
            )
        parts = {
            "cards": cards,
            "tiers": _tier_table(data, language, links),
            "places": None,
            "pools": None,
            "round_url": links.round(rnd["id"]) if rnd else None,
            "round_missed_url": links.round_coverage(rnd["id"]) if rnd else None,
            "coverage": [],
        }
        if rnd:
            columns = coverage_columns()
            places = Table(
                title=_("Where people are missed"),
                columns=[
                    Column("place", _("Place")),
                    Column("expected", _("Expected"), "int"),
                    *columns,
                    Column("percent", _("Done"), "percent"),
                ],
                links=[],
            )
            for place in data["round"]["places"][:10]:
                counts = place.get("counts", place)
                places.rows.append(
                    [place["name"], place["expected"], *[counts.get(c.key, 0) for c in columns], place["percent"]]
                )
                missed_url = links.round_coverage(rnd["id"], place["code"])
                places.links.append([None, None, *[missed_url if c.key == "missed" else None for c in columns], None])
            parts["coverage"] = [(c.key, c.label, rnd.get(c.key, 0)) for c in columns]
            parts["places"] = places
        if pools.get("available"):
            table = Table(
                title=_("Positive pools awaiting follow-up"),
                columns=[
                    Column("barcode", _("Tube")),
                    Column("place", _("Place")),
                    Column("result_at", _("Result at"), "datetime"),
                    Column("state", _("Follow-up")),
                    Column("next_due", _("Next step due"), "datetime"),
                ],
                links=[],
            )
            states = {"missing": _("No follow-up"), "open": _("Follow-up open"), "closed": _("Follow-up closed")}
            for row in pools["rows"]:
                table.rows.append(
                    [
                        row["barcode"],
                        row["place"],
                        row["result_at"],
                        states.get(row["state"], row["state"]),
                        row["next_due"],
                    ]
                )
                table.styles.append("overdue" if row["overdue"] else "")
                table.links.append([links.follow_up(row["follow_up_id"]), None, None, None, None])
            if not pools["rows"]:
                table.note = _("No positive pool awaits follow-up.")
            elif pools["awaiting"] > len(pools["rows"]):
                table.note = _("%(n)d more: follow the link of the count.") % {
                    "n": pools["awaiting"] - len(pools["rows"])
                }
            parts["pools"] = table
        parts["requests"] = (
            _requests_table({"requests": {**requests, "received": requests.get("received", 0)}}, links)
            if requests.get("available")
            else None
        )
        if workforce.get("available"):
            labels = _sheet_labels()
            keys = [k for k in workforce.get("columns", []) if k not in ("communities", "compounds")]
            table = Table(
                title=_("Workforce deployed today"),
                columns=[Column(k, labels.get(k, k), "int") for k in keys],
                rows=[[workforce["totals"].get(k, 0) for k in keys]],
                links=[[links.workforce()] * len(keys)],
            )
            parts["workforce"] = table
        else:
            parts["workforce"] = None
        return parts
