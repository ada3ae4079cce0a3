"""Outcomes of a run: the table printed (Markdown, so it pastes into the
README as is) and the JSON written to ``bench/results/``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.scenarios import Scenario
from bench.wrk import WrkResult


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    result: WrkResult | None = None
    unavailable: str = ""  # why the scenario did not run

    def ratio(self, ceiling: float | None) -> float | None:
        if self.result is None or not ceiling:
            return None
        return self.result.requests_per_s / ceiling

    def meets_target(self, ceiling: float | None) -> bool | None:
        ratio = self.ratio(ceiling)
        if self.scenario.target is None or ratio is None:
            return None
        return ratio >= self.scenario.target


def ceiling_of(outcomes: list[Outcome]) -> float | None:
    bare = next((o for o in outcomes if o.scenario.name == "bare"), None)
    return bare.result.requests_per_s if bare and bare.result else None


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def _statuses(result: WrkResult) -> str:
    if result.statuses is None:
        return ""
    return " ".join(f"{status}x{count}" for status, count in sorted(result.statuses.items()))


def _target(outcome: Outcome, ceiling: float | None) -> str:
    target = outcome.scenario.target
    if target is None:
        return ""
    met = outcome.meets_target(ceiling)
    mark = "" if met is None else (" ✓" if met else " ✗")
    return f"≥ {target:.2f}{mark}"


HEADER = ("scenario", "req/s", "p50 ms", "p99 ms", "non-2xx", "x bare", "target", "statuses")


def _row(outcome: Outcome, ceiling: float | None) -> tuple[str, ...]:
    name, result = outcome.scenario.name, outcome.result
    if result is None:
        return (name, "unavailable", "", "", "", "", _target(outcome, ceiling), outcome.unavailable)
    ratio = outcome.ratio(ceiling)
    socket = sum(result.socket_errors.values())
    notes = [
        "no answer within the run" if result.requests == 0 else "",
        _statuses(result),
        f"socket errors {socket}" if socket else "",
    ]
    latency = result.latency_ms if result.requests else {"p50": math.nan, "p99": math.nan}
    return (
        name,
        f"{result.requests_per_s:,.0f}",
        _ms(latency["p50"]),
        _ms(latency["p99"]),
        f"{result.non_2xx:,}",
        "" if ratio is None else f"{ratio:.2f}",
        _target(outcome, ceiling),
        "; ".join(n for n in notes if n),
    )


def format_table(outcomes: list[Outcome]) -> str:
    ceiling = ceiling_of(outcomes)
    rows = [HEADER, *(_row(o, ceiling) for o in outcomes)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([lines[0], rule, *lines[1:]])


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


def outcome_json(outcome: Outcome, ceiling: float | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": outcome.scenario.name,
        "about": outcome.scenario.about,
        "target_ratio": outcome.scenario.target,
    }
    result = outcome.result
    if result is None:
        return {**entry, "available": False, "reason": outcome.unavailable}
    ratio = outcome.ratio(ceiling)
    return {
        **entry,
        "available": True,
        "requests": result.requests,
        "duration_s": round(result.duration_s, 3),
        "requests_per_s": round(result.requests_per_s, 1),
        "latency_ms": {
            k: _nan_to_none(v) if result.requests else None for k, v in result.latency_ms.items()
        },
        "non_2xx": result.non_2xx,
        "statuses": result.statuses,
        "socket_errors": result.socket_errors,
        "ratio_to_bare": None if ratio is None else round(ratio, 3),
        "meets_target": outcome.meets_target(ceiling),
    }


def write_json(path: Path, meta: dict[str, Any], outcomes: list[Outcome]) -> None:
    ceiling = ceiling_of(outcomes)
    document = {**meta, "scenarios": [outcome_json(o, ceiling) for o in outcomes]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
