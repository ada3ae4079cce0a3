"""The printed table and the JSON written after a run."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench.scenarios import SCENARIOS
from bench.table import Outcome, Reference, format_table, references_of, write_json
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


# CPU seconds over the 10 s run: the ceiling costs 0.125 ms a request, bare
# 0.25 ms, basic-valid 0.5 ms.
OUTCOMES = [
    Outcome(BY_NAME["ceiling"], result(4000), server_cpu_s=5.0),
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


# Columns after the name: req/s, p50, p99, non-2xx, x ceiling, x bare,
# CPU ms/req, CPU x ceiling, CPU x bare, target, statuses.
def test_ratios_are_taken_against_the_ceiling_and_bare_and_targets_marked() -> None:
    table = rows(format_table(OUTCOMES))
    assert table["ceiling"][:9] == [
        "4,000",
        "1.50",
        "7.25",
        "0",
        "1.00",
        "2.00",
        "0.125",
        "1.00",
        "2.00",
    ]
    assert table["bare"][4:9] == ["0.50", "1.00", "0.250", "0.50", "1.00"]
    assert table["basic-valid"][4:10] == ["0.30", "0.60", "0.500", "0.25", "0.50", "≥ 0.40 ✗"]
    assert table["bearer-valid"][4:10] == ["0.25", "0.50", "", "", "", "≥ 0.40 ✗"]


def test_a_target_is_a_share_of_the_ceiling() -> None:
    fast = Outcome(BY_NAME["basic-valid"], result(1800), server_cpu_s=6.0)
    assert rows(format_table([*OUTCOMES[:2], fast]))["basic-valid"][9] == "≥ 0.40 ✓"


def test_cpu_cost_per_request_and_its_ratios() -> None:
    refs = references_of(OUTCOMES)
    assert refs.ceiling == Reference(rate=4000, cpu_ms=0.125)
    assert refs.bare == Reference(rate=2000, cpu_ms=0.25)
    invalid, valid = OUTCOMES[4], OUTCOMES[3]
    assert invalid.cpu_ms == 1.0
    assert invalid.cpu_ratio(refs.bare) == 0.25
    assert invalid.cpu_ratio(refs.ceiling) == 0.125
    assert valid.cpu_ratio(refs.bare) is None


def test_status_mix_and_missing_latency_are_shown() -> None:
    row = rows(format_table(OUTCOMES))["bearer-invalid"]
    assert row[1] == "-"
    assert row[3] == "9,000"
    assert row[-1] == "401x9000"


def test_an_unavailable_scenario_says_why() -> None:
    row = rows(format_table(OUTCOMES))["issues-bbox"]
    assert row[0] == "unavailable"
    assert row[-1] == "GET /api/v2/issues answered 404"


def test_without_references_there_are_no_ratios() -> None:
    outcomes = OUTCOMES[2:3]
    assert references_of(outcomes).ceiling is None
    assert rows(format_table(outcomes))["basic-valid"][4:10] == ["", "", "0.500", "", "", "≥ 0.40"]


def test_json_holds_every_scenario(tmp_path: Path) -> None:
    path = tmp_path / "results" / "latest.json"
    write_json(path, {"date": "2026-01-01T00:00:00+00:00"}, OUTCOMES)
    document = json.loads(path.read_text())
    assert document["date"] == "2026-01-01T00:00:00+00:00"
    by_name = {s["name"]: s for s in document["scenarios"]}
    assert by_name["basic-valid"]["ratio_to_bare"] == 0.6
    assert by_name["basic-valid"]["ratio_to_ceiling"] == 0.3
    assert by_name["basic-valid"]["meets_target"] is False
    assert by_name["basic-valid"]["server_cpu_ms_per_request"] == 0.5
    assert by_name["basic-valid"]["cpu_ratio_to_bare"] == 0.5
    assert by_name["basic-valid"]["cpu_ratio_to_ceiling"] == 0.25
    assert by_name["bearer-valid"]["meets_target"] is False
    assert by_name["bearer-invalid"]["latency_ms"]["p50"] is None
    assert by_name["bearer-invalid"]["statuses"] == {"401": 9000}
    assert by_name["issues-bbox"] == {
        "name": "issues-bbox",
        "about": BY_NAME["issues-bbox"].about,
        "target_ratio_to_ceiling": 0.05,
        "available": False,
        "reason": "GET /api/v2/issues answered 404",
    }


def test_a_run_without_answers_shows_no_latency() -> None:
    silent = Outcome(BY_NAME["basic-wrong"], result(0, p50=0.0))
    row = rows(format_table([*OUTCOMES[:2], silent]))["basic-wrong"]
    assert row[:3] == ["0", "-", "-"]
    assert row[-1].startswith("no answer within the run")
