"""The soak's report, from made-up records: stats by kind, recovery after
each fault, 500s, tokens lost, the purge soak's flatness, the verdict."""

from __future__ import annotations

from collections import Counter

from bench.soak_load import outcome_of
from bench.soak_report import (
    OK,
    Fault,
    Flatness,
    Record,
    Sample,
    TokenCheck,
    format_flatness,
    format_report,
    percentile,
    recovery_seconds,
    server_errors,
    stats_by_kind,
    verdict,
)


def ok(kind: str, start: float, took: float = 0.01) -> Record:
    return Record(kind, start, start + took, OK)


def failed(kind: str, start: float, outcome: str, took: float = 0.01) -> Record:
    return Record(kind, start, start + took, outcome)


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_stats_count_errors_by_kind_and_time_only_successes():
    records = [ok("a", 0, 0.010), ok("a", 1, 0.030), failed("a", 2, "500", 5.0), ok("b", 0)]
    a, b = stats_by_kind(records)
    assert (a.kind, a.requests, a.errors) == ("a", 3, Counter({"500": 1}))
    assert a.p99_ms is not None
    assert round(a.p99_ms) == 30
    assert (b.kind, b.requests, b.errors) == ("b", 1, Counter())


def test_recovery_runs_from_the_fault_to_the_end_of_the_last_failure():
    fault = Fault("worker SIGKILL", at=10.0)
    records = [
        failed("a", 9.5, "ReadError", took=0.6),  # in flight when the worker died
        failed("b", 10.2, "ConnectError", took=0.3),  # ends at 10.5
        ok("a", 10.6),
        failed("c", 19.9, "500", took=0.5),  # ends after the next fault: that one's
    ]
    assert recovery_seconds(records, fault, until=20.0) == 0.5


def test_no_failure_is_zero_and_no_success_after_it_is_never():
    fault = Fault("PostgreSQL restart", at=5.0)
    assert recovery_seconds([ok("a", 1), ok("a", 6)], fault, until=9.0) == 0.0
    assert recovery_seconds([ok("a", 1), failed("a", 6, "500")], fault, until=9.0) is None


def test_a_500_fails_the_run_whatever_its_detail():
    records = [ok("a", 0), failed("a", 1, "500"), failed("a", 2, "503"), failed("b", 3, "401 x")]
    assert server_errors(records) == 1
    problems = verdict(records, [], TokenCheck(0), end=4.0)
    assert problems == ["1 responses with status 500"]


def test_lost_tokens_and_a_fault_never_recovered_from_fail_the_run():
    records = [ok("a", 0), failed("a", 6, "ConnectError")]
    tokens = TokenCheck(10, Counter({"401 invalid_token": 2}))
    problems = verdict(records, [Fault("restart", 5.0)], tokens, end=7.0)
    assert problems == ["2 of 10 tokens no longer work", "no recovery after restart"]


def test_the_report_prints_the_tables_and_passes_a_clean_run():
    records = [ok("issues-list", 0), failed("refresh", 5.1, "ReadError"), ok("refresh", 5.5)]
    faults = [Fault("worker SIGKILL", 5.0, "a new worker after 0.2 s")]
    report = format_report(records, faults, TokenCheck(3), end=6.0)
    assert "| refresh | 2 | 1 |" in report
    assert "ReadError x1" in report
    assert "| worker SIGKILL | 5.0 | 0.11 | 1 | 0 | a new worker after 0.2 s |" in report
    assert "checked after it: 3, not working: 0" in report
    assert "responses with status 500: 0" in report
    assert report.endswith("verdict: PASS")


def test_a_token_table_that_stays_level_is_flat_and_one_that_grows_is_not():
    base = [Sample(0.0, 100, 0)]
    level = base + [Sample(float(t), 400 + (t % 3) * 10, 30) for t in range(1, 20)]
    assert Flatness(level, issued=5000, warmup_s=5).flat
    growing = base + [Sample(float(t), 100 + 100 * t, 30 * t) for t in range(1, 20)]
    assert not Flatness(growing, issued=5000, warmup_s=5).flat
    assert not Flatness(level[:6], issued=5000, warmup_s=5).flat  # too few samples to say
    # A PostgreSQL soak's rows (616 at the start): the rate of issue swings,
    # and the last rounds ran late; the median stays put.
    swinging = [995, 1055, 1077, 1105, 1060, 1034, 962, 916, 910, 965, 1055, 1114, 1140]
    swinging += [1118, 1082, 1022, 1116, 1088, 1116, 1065, 1251, 1291, 1216]
    measured = [Sample(0.0, 616, 0)] + [Sample(7.0 + t, n, 150) for t, n in enumerate(swinging)]
    assert Flatness(measured, issued=3928, warmup_s=7).flat
    stopped = [Sample(0.0, 616, 0)] + [Sample(7.0 + t, 995 + 130 * t, 0) for t in range(23)]
    assert not Flatness(stopped, issued=3928, warmup_s=7).flat  # a purge that stopped
    shown = format_flatness(Flatness(level, issued=5000, warmup_s=5), "3", "1")
    assert "5,000 tokens issued (TTL 3 s, purge every 1 s)" in shown
    assert "above the 100 at the start, after the warm-up: 300..320" in shown
    assert "expired rows not yet purged at most 30: flat\n" in shown


class Answer:
    def __init__(self, status: int, body: object = None) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> object:
        if self._body is None:
            raise ValueError("no JSON")
        return self._body


def test_outcomes_name_the_status_and_the_oauth_error():
    assert outcome_of(Answer(200), 200) == OK  # type: ignore[arg-type]
    assert outcome_of(Answer(500), 200) == "500"  # type: ignore[arg-type]
    assert outcome_of(Answer(400, {"error": "invalid_grant"}), 200) == "400 invalid_grant"  # type: ignore[arg-type]
    assert outcome_of(Answer(401), 200) == "401"  # type: ignore[arg-type]
