"""What a soak run found, from what it recorded: requests and errors by
kind, latencies, the time to recover after each fault, the tokens checked
after the faults, the token table's size during the purge soak, and the
verdict. Pure functions of the records, so a test can feed it made-up ones.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

OK = "ok"


@dataclass(frozen=True)
class Record:
    """One request (a sign-in is one record for its three requests)."""

    kind: str
    start: float  # seconds since the load began
    end: float
    outcome: str  # OK, an unexpected status ("500", "400 invalid_grant"), or an exception name


@dataclass(frozen=True)
class Fault:
    name: str
    at: float  # seconds since the load began
    detail: str = ""


@dataclass(frozen=True)
class TokenCheck:
    """Tokens received before the last fault, each presented again after it."""

    checked: int
    failed: Counter[str] = field(default_factory=Counter)  # outcome -> how many

    @property
    def lost(self) -> int:
        return sum(self.failed.values())


@dataclass(frozen=True)
class KindStats:
    kind: str
    requests: int
    errors: Counter[str]
    p50_ms: float | None
    p99_ms: float | None


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (share in 0..1) of ``values``; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    # ceil(share * n), less a hair: 0.99 * 100 is 99.00000000000001 in floats.
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def stats_by_kind(records: list[Record]) -> list[KindStats]:
    """Per kind, in order of first appearance; latencies of the successes."""
    kinds: dict[str, list[Record]] = {}
    for record in records:
        kinds.setdefault(record.kind, []).append(record)
    found = []
    for kind, rows in kinds.items():
        times = [(r.end - r.start) * 1000 for r in rows if r.outcome == OK]
        errors = Counter(r.outcome for r in rows if r.outcome != OK)
        found.append(
            KindStats(kind, len(rows), errors, percentile(times, 0.50), percentile(times, 0.99))
        )
    return found


def recovery_seconds(records: list[Record], fault: Fault, until: float) -> float | None:
    """How long after ``fault`` requests kept failing: from the fault to the
    end of the last failed request that ended after it and before ``until``
    (the next fault, or the end of the load: a failure ending later is the
    next fault's). 0.0 when none failed; None when nothing succeeded after
    the last failure (it never recovered)."""
    failed = [r for r in records if r.outcome != OK and fault.at <= r.end < until]
    if not failed:
        return 0.0
    last = max(r.end for r in failed)
    if not any(r.outcome == OK and r.start >= last for r in records):
        return None
    return max(0.0, last - fault.at)


def server_errors(records: list[Record]) -> int:
    """Responses with status 500 (whatever follows the code in the outcome)."""
    return sum(1 for r in records if r.outcome.split(" ", 1)[0] == "500")


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the purge soak began
    rows: int  # oauth_tokens rows
    expired: int  # of which dead (expired, no refresh token), not purged yet


@dataclass(frozen=True)
class Flatness:
    """The token table sampled during the purge soak; the first sample,
    taken before any token was issued, is the baseline (rows that live on)."""

    samples: list[Sample]
    issued: int
    warmup_s: float

    def steady(self) -> list[int]:
        """Rows above the baseline, after the warm-up."""
        base = self.samples[0].rows if self.samples else 0
        return [s.rows - base for s in self.samples if s.at >= self.warmup_s]

    @property
    def expired_peak(self) -> int:
        return max((s.expired for s in self.samples), default=0)

    @property
    def flat(self) -> bool:
        """After the warm-up the count does not keep growing: the second
        half's median is at most a quarter above the first half's (plus a
        little slack), and its peak far below what was issued. Medians, not
        peaks: the rows alive at a moment follow the rate of issue, which
        swings on a busy machine, and one round that runs late is a peak,
        not growth; a purge that stops adds a second's tokens every second,
        which moves the median."""
        steady = self.steady()
        if len(steady) < 4:
            return False
        half = len(steady) // 2
        first, second = median(steady[:half]), median(steady[half:])
        return second <= 1.25 * first + 50 and max(steady) < max(self.issued, 1) / 2


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_kinds(stats: list[KindStats]) -> str:
    head = "| kind | requests | errors | p50 ms | p99 ms | errors by kind |"
    lines = [head, "|---|---:|---:|---:|---:|---|"]
    for s in stats:
        kinds = ", ".join(f"{name} x{n}" for name, n in s.errors.most_common())
        errors = sum(s.errors.values())
        lines.append(
            f"| {s.kind} | {s.requests:,} | {errors:,} | {_ms(s.p50_ms)} | {_ms(s.p99_ms)} "
            f"| {kinds} |"
        )
    total = sum(s.requests for s in stats)
    lines.append(f"| all | {total:,} | {sum(sum(s.errors.values()) for s in stats):,} | | | |")
    return "\n".join(lines)


def format_faults(records: list[Record], faults: list[Fault], end: float) -> str:
    lines = [
        "| fault | at s | recovered after s | errors after it | 500s after it | detail |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for index, fault in enumerate(faults):
        until = faults[index + 1].at if index + 1 < len(faults) else end
        seconds = recovery_seconds(records, fault, until)
        shown = "never" if seconds is None else f"{seconds:.2f}"
        window = [r for r in records if r.outcome != OK and fault.at <= r.end < until]
        lines.append(
            f"| {fault.name} | {fault.at:.1f} | {shown} | {len(window)} "
            f"| {server_errors(window)} | {fault.detail} |"
        )
    return "\n".join(lines)


def verdict(
    records: list[Record], faults: list[Fault], tokens: TokenCheck, end: float
) -> list[str]:
    """What failed the run (empty: it passed)."""
    problems = []
    if errors := server_errors(records):
        problems.append(f"{errors} responses with status 500")
    if tokens.lost:
        problems.append(f"{tokens.lost} of {tokens.checked} tokens no longer work")
    for index, fault in enumerate(faults):
        until = faults[index + 1].at if index + 1 < len(faults) else end
        if recovery_seconds(records, fault, until) is None:
            problems.append(f"no recovery after {fault.name}")
    return problems


def format_report(
    records: list[Record], faults: list[Fault], tokens: TokenCheck, end: float
) -> str:
    parts = [format_kinds(stats_by_kind(records)), "", format_faults(records, faults, end), ""]
    lost = ", ".join(f"{k} x{n}" for k, n in tokens.failed.most_common())
    parts.append(
        f"tokens received before the last fault, checked after it: {tokens.checked:,}, "
        f"not working: {tokens.lost}{f' ({lost})' if lost else ''}"
    )
    parts.append(f"responses with status 500: {server_errors(records)}")
    problems = verdict(records, faults, tokens, end)
    parts.append("verdict: " + ("PASS" if not problems else "FAIL: " + "; ".join(problems)))
    return "\n".join(parts)


def format_flatness(flat: Flatness, ttl: str, interval: str) -> str:
    steady = flat.steady()
    shape = f"{min(steady):,}..{max(steady):,}" if steady else "no samples"
    series = " ".join(str(s.rows) for s in flat.samples)
    base = flat.samples[0].rows if flat.samples else 0
    return (
        f"purge soak: {flat.issued:,} tokens issued (TTL {ttl} s, purge every {interval} s); "
        f"oauth_tokens rows above the {base:,} at the start, after the warm-up: {shape}; "
        f"expired rows not yet purged at most {flat.expired_peak:,}: "
        f"{'flat' if flat.flat else 'GROWING'}\n  rows each second: {series}"
    )
