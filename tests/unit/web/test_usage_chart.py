"""The usage chart: one bar segment per day and method, named for screen readers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from civicauth.usage.reports import DailyUsage, period
from civicauth.web.usage_chart import COLOURS, usage_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_per_method_and_an_accessible_name():
    days = period(30, date(2026, 12, 2))
    usage = DailyUsage(days, {days[-1]: {"oauth": 12, "basic": 3}, days[0]: {"personal": 1}})
    svg = ET.fromstring(str(usage_chart(usage, "c", "Requests <per day>")))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c-title c-desc"
    assert svg.find(f"{SVG}title").text == "Requests <per day>"  # escaped in, parsed back
    desc = svg.find(f"{SVG}desc").text
    assert "16 in all" in desc
    assert "Basic (password) 3" in desc
    fills = [r.get("fill") for r in svg.iter(f"{SVG}rect") if float(r.get("height")) > 12]
    assert sorted(fills) == sorted([COLOURS["basic"], COLOURS["oauth"]])  # legend swatches are 12


def test_an_app_chart_has_only_its_method_and_an_empty_period_draws():
    days = period(30, date(2026, 12, 2))
    svg = ET.fromstring(str(usage_chart(DailyUsage(days, {}), "a", "App", methods=("oauth",))))
    assert "0 in all" in svg.find(f"{SVG}desc").text
    assert [r.get("fill") for r in svg.iter(f"{SVG}rect")] == [COLOURS["oauth"]]  # the legend
