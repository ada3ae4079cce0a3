"""Load benchmark: ``make bench`` (or ``python bench/run.py --help``).

Starts ``civicauth serve`` (granian or uvicorn) on a free loopback port over a
fresh database with production argon2 parameters, seeds it, drives wrk for a
fixed time per scenario, prints a table and writes ``bench/results/latest.json``.
The same server with the same workers first serves a bare ASGI app (the
ceiling, bench/ceiling.py), so each ratio shows the cost that is civicauth's.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import wrk
from bench.cpu import tree_cpu_seconds
from bench.scenarios import SCENARIOS, SERVERS, Scenario, Unavailable, by_name
from bench.seed import Fixtures, seed
from bench.server import SERVERS as SERVER_KINDS
from bench.server import (
    Server,
    ServerError,
    base_env,
    run_cli,
    running_server,
    scratch_database,
    wait_until_idle,
)
from bench.table import Outcome, format_table, write_json
from bench.usage_check import Row, compare, expected_counts, format_rows, read_usage_page

RESULTS = Path(__file__).resolve().parent / "results"
# Codes and refresh tokens minted for each second of the scenarios that spend
# one per request: above any rate they reach on this kind of machine (the
# table's status column shows 400s if a run ever outpaces it).
SPENDABLE_PER_SECOND = 3000


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description="Load benchmark of civicauth with wrk, over loopback."
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to run on (a scratch "
        "database is created there and dropped); default: SQLite in a temp dir",
    )
    parser.add_argument(
        "--redis-url", help="Redis for the rate limits (default: per-worker memory)"
    )
    parser.add_argument("--server", choices=SERVER_KINDS, default="granian")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--issues", type=int, default=100_000, help="issues to seed")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenarios (ceiling and bare always run): "
        + ", ".join(s.name for s in SCENARIOS),
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument(
        "--no-usage-check",
        dest="usage_check",
        action="store_false",
        help="skip reading /admin/usage after the run to compare its counts with wrk's",
    )
    args = parser.parse_args(argv)
    for name in ("workers", "duration", "connections", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    try:
        args.scenarios = by_name([n.strip() for n in args.only.split(",") if n.strip()])
    except ValueError as exc:
        parser.error(str(exc))
    return args


def probe(base_url: str, scenario: Scenario, fixtures: Fixtures) -> wrk.Request:
    """The scenario's request, once it answered one of the statuses expected."""
    request = scenario.request(fixtures)
    response = httpx.request(
        request.method,
        base_url + request.path,
        headers=request.headers,
        content=request.body.encode() or None,
        timeout=30,
    )
    if response.status_code not in scenario.expect:
        raise Unavailable(
            f"{request.method} {request.path.split('?')[0]} answered {response.status_code}"
        )
    return request


def measure(
    server: Server, scenario: Scenario, fixtures: Fixtures, args: argparse.Namespace, tmp: Path
) -> Outcome:
    try:
        request = probe(server.url, scenario, fixtures)
    except Unavailable as exc:
        return Outcome(scenario, unavailable=str(exc))
    warmup = None
    if args.warmup > 0 and scenario.warmup:
        warm = wrk.Load(args.connections, args.threads, args.warmup)
        warmup = wrk.run(server.url, request, warm, tmp, scenario.count_statuses)
    settle(server)
    load = wrk.Load(args.connections, args.threads, args.duration)
    cpu_before = tree_cpu_seconds(server.pid)
    result = wrk.run(server.url, request, load, tmp, scenario.count_statuses)
    cpu_s = tree_cpu_seconds(server.pid) - cpu_before
    settle(server)
    return Outcome(scenario, result, server_cpu_s=cpu_s, warmup=warmup)


def settle(server: Server) -> None:
    if not wait_until_idle(server):
        print("  warning: the server stayed busy; the next numbers are low", file=sys.stderr)


def run_all(
    args: argparse.Namespace, env: dict[str, str], fixtures: Fixtures, tmp: Path
) -> list[Outcome]:
    """Each server configuration once, its scenarios in registry order."""
    outcomes: dict[str, Outcome] = {}
    for name, configuration in SERVERS.items():
        group = [s for s in args.scenarios if s.server == name]
        if not group:
            continue
        server_env = {**env, **configuration.env}
        with running_server(
            args.server, args.workers, server_env, tmp, configuration.app
        ) as server:
            for scenario in group:
                if scenario.prepare is not None:
                    print(f"  {scenario.name}: preparing ...", file=sys.stderr, flush=True)
                    scenario.prepare(env["CIVICAUTH_DATABASE_URL"])
                print(f"  {scenario.name} ...", file=sys.stderr, flush=True)
                outcomes[scenario.name] = measure(server, scenario, fixtures, args, tmp)
    return [outcomes[s.name] for s in args.scenarios]


def check_usage(
    args: argparse.Namespace,
    env: dict[str, str],
    fixtures: Fixtures,
    outcomes: list[Outcome],
    tmp: Path,
) -> list[Row]:
    """Once every server of the run has stopped (and flushed its counts), a
    server of its own answers the operator: /admin/usage against what wrk got."""
    expected = expected_counts(outcomes, fixtures.bearer_client[0])
    with running_server(args.server, 1, env, tmp) as server:
        shown = read_usage_page(server.url, *fixtures.operator)
    return compare(expected, shown, args.connections)


def metadata(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other work on the machine skews every number: say how busy it was.
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_before": args.load_before,
            "load_average_after": os.getloadavg(),
        },
        "config": {
            "server": args.server,
            "workers": args.workers,
            "database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
            "redis": bool(args.redis_url),
            "connections": args.connections,
            "wrk_threads": args.threads,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "issues": args.issues,
            "argon2": "production defaults (t=3, m=64 MiB, p=4)",
        },
    }


def bench(args: argparse.Namespace) -> int:
    args.load_before = os.getloadavg()
    wrk.find_wrk()
    with (
        tempfile.TemporaryDirectory(prefix="civicauth-bench-") as tmp_name,
        scratch_database(args.database_url, Path(tmp_name)) as database_url,
    ):
        tmp = Path(tmp_name)
        env = base_env(database_url, tmp, args.redis_url)
        if (done := run_cli(env, tmp, "db", "upgrade")).returncode != 0:
            raise ServerError(f"civicauth db upgrade failed: {done.stderr.strip()}")
        print(f"seeding ({args.issues:,} issues) ...", file=sys.stderr, flush=True)
        fixtures = seed(env, tmp, args.issues, spendable=SPENDABLE_PER_SECOND * args.duration)
        print(f"measuring on {args.server}, {args.workers} workers:", file=sys.stderr, flush=True)
        outcomes = run_all(args, env, fixtures, tmp)
        usage = check_usage(args, env, fixtures, outcomes, tmp) if args.usage_check else []
    meta = metadata(args, database_url)
    print(format_table(outcomes))
    if usage:
        print("\n/admin/usage (30 days) against the 2xx answers wrk got:\n" + format_rows(usage))
    write_json(args.output, meta, outcomes)
    before, after = (
        f"{meta['machine'][k][0]:.1f}" for k in ("load_average_before", "load_average_after")
    )
    print(
        f"\nload average {before} before, {after} after; written to {args.output}", file=sys.stderr
    )
    if not all(row.ok for row in usage):
        print("bench: /admin/usage does not agree with wrk (see above)", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return bench(args)
    except (ServerError, wrk.WrkError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
