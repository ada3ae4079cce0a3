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
class Reference:
    """What a reference endpoint did: the rate and the cost ratios divide by."""

    rate: float  # requests per second
    cpu_ms: float | None  # server CPU milliseconds per request


@dataclass(frozen=True)
class References:
    """The bare ASGI app (``ceiling``) and civicauth's cheapest answer (``bare``)."""

    ceiling: Reference | None
    bare: Reference | None


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    result: WrkResult | None = None
    unavailable: str = ""  # why the scenario did not run
    server_cpu_s: float | None = None  # CPU the server spent during the measured run
    # The unmeasured warm-up before it (its answers are counted in the usage too).
    warmup: WrkResult | None = None

    @property
    def cpu_ms(self) -> float | None:
        """Server CPU milliseconds per answered request."""
        if self.result is None or not self.result.requests or self.server_cpu_s is None:
            return None
        return self.server_cpu_s * 1000 / self.result.requests

    def ratio(self, reference: Reference | None) -> float | None:
        if self.result is None or reference is None or not reference.rate:
            return None
        return self.result.requests_per_s / reference.rate

    def cpu_ratio(self, reference: Reference | None) -> float | None:
        """The reference's cost over this one's: like ``ratio``, but barely
        moved by whatever else the machine is doing."""
        if reference is None or not reference.cpu_ms or not self.cpu_ms:
            return None
        return reference.cpu_ms / self.cpu_ms

    def meets_target(self, references: References) -> bool | None:
        """Targets are shares of the ceiling's rate."""
        ratio = self.ratio(references.ceiling)
        if self.scenario.target is None or ratio is None:
            return None
        return ratio >= self.scenario.target


def _reference(outcomes: list[Outcome], name: str) -> Reference | None:
    found = next((o for o in outcomes if o.scenario.name == name), None)
    if found is None or found.result is None:
        return None
    return Reference(found.result.requests_per_s, found.cpu_ms)


def references_of(outcomes: list[Outcome]) -> References:
    return References(_reference(outcomes, "ceiling"), _reference(outcomes, "bare"))


def _fixed(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def _statuses(result: WrkResult) -> str:
    if result.statuses is None:
        return ""
    return " ".join(f"{status}x{count}" for status, count in sorted(result.statuses.items()))


def _target(outcome: Outcome, references: References) -> str:
    target = outcome.scenario.target
    if target is None:
        return ""
    met = outcome.meets_target(references)
    mark = "" if met is None else (" ✓" if met else " ✗")
    return f"≥ {target:.2f}{mark}"


HEADER = (
    "scenario", "req/s", "p50 ms", "p99 ms", "non-2xx", "x ceiling", "x bare",
    "CPU ms/req", "CPU x ceiling", "CPU x bare", "target (x ceiling)", "statuses",
)  # fmt: skip


def _row(outcome: Outcome, refs: References) -> tuple[str, ...]:
    name, result = outcome.scenario.name, outcome.result
    if result is None:
        blank = ("",) * 8
        return (name, "unavailable", *blank, _target(outcome, refs), outcome.unavailable)
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
        _fixed(outcome.ratio(refs.ceiling)),
        _fixed(outcome.ratio(refs.bare)),
        _fixed(outcome.cpu_ms, 3),
        _fixed(outcome.cpu_ratio(refs.ceiling)),
        _fixed(outcome.cpu_ratio(refs.bare)),
        _target(outcome, refs),
        "; ".join(n for n in notes if n),
    )


def format_table(outcomes: list[Outcome]) -> str:
    refs = references_of(outcomes)
    rows = [HEADER, *(_row(o, refs) for o in outcomes)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([lines[0], rule, *lines[1:]])


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def outcome_json(outcome: Outcome, refs: References) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": outcome.scenario.name,
        "about": outcome.scenario.about,
        "target_ratio_to_ceiling": outcome.scenario.target,
    }
    result = outcome.result
    if result is None:
        return {**entry, "available": False, "reason": outcome.unavailable}
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
        "ratio_to_ceiling": _rounded(outcome.ratio(refs.ceiling)),
        "ratio_to_bare": _rounded(outcome.ratio(refs.bare)),
        "server_cpu_ms_per_request": None if outcome.cpu_ms is None else round(outcome.cpu_ms, 4),
        "cpu_ratio_to_ceiling": _rounded(outcome.cpu_ratio(refs.ceiling)),
        "cpu_ratio_to_bare": _rounded(outcome.cpu_ratio(refs.bare)),
        "meets_target": outcome.meets_target(refs),
    }


def write_json(path: Path, meta: dict[str, Any], outcomes: list[Outcome]) -> None:
    refs = references_of(outcomes)
    document = {**meta, "scenarios": [outcome_json(o, refs) for o in outcomes]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
