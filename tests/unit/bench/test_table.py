"""The printed table and the JSON written after a run."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench.scenarios import SCENARIOS
from bench.table import Ceiling, Outcome, ceiling_of, format_table, write_json
from bench.wrk import WrkResult

BY_NAME = {s.name: s for s in SCENARIOS}


def result(rate: float, statuses: dict[int, int] | None = None, p50: float = 1.5) -> WrkResult:
    return WrkResult(
        requests=int(rate * 10),
        duration_s=10.0,
        bytes_read=0,
        error_statuses=0,
        socket_errors={"connect": 0, "read": 0, "write": 0, "timeout": 0},
        latency_ms={"mean": 2.0, "max": 9.0, "p50": p50, "p99": 7.25},
        statuses=statuses,
    )


# CPU seconds over the 10 s run: bare costs 0.25 ms a request, basic-valid 0.5 ms.
OUTCOMES = [
    Outcome(BY_NAME["bare"], result(2000), server_cpu_s=5.0),
    Outcome(BY_NAME["basic-valid"], result(1200), server_cpu_s=6.0),
    Outcome(BY_NAME["bearer-valid"], result(1000)),
    Outcome(BY_NAME["bearer-invalid"], result(900, {401: 9000}, p50=math.nan), server_cpu_s=9.0),
    Outcome(BY_NAME["issues-bbox"], unavailable="GET /api/v2/issues answered 404"),
]


def rows(table: str) -> dict[str, list[str]]:
    lines = table.splitlines()[2:]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    return {c[0]: c[1:] for c in cells}


def test_ratios_are_taken_against_bare_and_targets_marked() -> None:
    table = rows(format_table(OUTCOMES))
    assert table["bare"][:7] == ["2,000", "1.50", "7.25", "0", "1.00", "0.250", "1.00"]
    assert table["basic-valid"][4:8] == ["0.60", "0.500", "0.50", "≥ 0.50 ✓"]
    assert table["bearer-valid"][4:8] == ["0.50", "", "", "≥ 0.60 ✗"]


def test_cpu_cost_per_request_and_its_ratio_to_bare() -> None:
    ceiling = ceiling_of(OUTCOMES)
    assert ceiling == Ceiling(rate=2000, cpu_ms=0.25)
    assert OUTCOMES[3].cpu_ms == 1.0
    assert OUTCOMES[3].cpu_ratio(ceiling) == 0.25
    assert OUTCOMES[2].cpu_ratio(ceiling) is None


def test_status_mix_and_missing_latency_are_shown() -> None:
    row = rows(format_table(OUTCOMES))["bearer-invalid"]
    assert row[1] == "-"
    assert row[3] == "9,000"
    assert row[-1] == "401x9000"


def test_an_unavailable_scenario_says_why() -> None:
    row = rows(format_table(OUTCOMES))["issues-bbox"]
    assert row[0] == "unavailable"
    assert row[-1] == "GET /api/v2/issues answered 404"


def test_without_a_ceiling_there_are_no_ratios() -> None:
    outcomes = OUTCOMES[1:2]
    assert ceiling_of(outcomes) is None
    assert rows(format_table(outcomes))["basic-valid"][4:8] == ["", "0.500", "", "≥ 0.50"]


def test_json_holds_every_scenario(tmp_path: Path) -> None:
    path = tmp_path / "results" / "latest.json"
    write_json(path, {"date": "2026-01-01T00:00:00+00:00"}, OUTCOMES)
    document = json.loads(path.read_text())
    assert document["date"] == "2026-01-01T00:00:00+00:00"
    by_name = {s["name"]: s for s in document["scenarios"]}
    assert by_name["basic-valid"]["ratio_to_bare"] == 0.6
    assert by_name["basic-valid"]["meets_target"] is True
    assert by_name["basic-valid"]["server_cpu_ms_per_request"] == 0.5
    assert by_name["basic-valid"]["cpu_ratio_to_bare"] == 0.5
    assert by_name["bearer-valid"]["meets_target"] is False
    assert by_name["bearer-invalid"]["latency_ms"]["p50"] is None
    assert by_name["bearer-invalid"]["statuses"] == {"401": 9000}
    assert by_name["issues-bbox"] == {
        "name": "issues-bbox",
        "about": BY_NAME["issues-bbox"].about,
        "target_ratio": None,
        "available": False,
        "reason": "GET /api/v2/issues answered 404",
    }


def test_a_run_without_answers_shows_no_latency() -> None:
    silent = Outcome(BY_NAME["basic-wrong"], result(0, p50=0.0))
    row = rows(format_table([OUTCOMES[0], silent]))["basic-wrong"]
    assert row[:3] == ["0", "-", "-"]
    assert row[-1].startswith("no answer within the run")
