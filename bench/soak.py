"""Soak: ``make soak`` (or ``python bench/soak.py --help``).

Serves civicauth (``civicauth serve --workers 2``) over a fresh database,
SQLite or a private PostgreSQL cluster with a private Redis, and drives a
mixed workload at 64 connections for a while (default 60 s). During the
load it kills one worker with SIGKILL (the server starts another) and, on
PostgreSQL, restarts the database. Then it checks that every token it was
given before the last fault still works, and reports requests, errors by
kind, p50/p99 per kind, the time to recover after each fault and any 500.
A second, shorter phase (the purge soak) issues short-lived tokens against
a short upkeep interval and samples the token table: its row count must
stay flat. Everything it starts it stops, also on an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text

from bench.private_services import private_postgres, private_redis
from bench.seed import Fixtures, seed
from bench.server import Server, ServerError, base_env, run_cli, running_server
from bench.soak_load import Load, check_tokens
from bench.soak_report import Fault, Flatness, Sample, format_flatness, format_report
from civicauth.db import utcnow
from civicauth.tokens.models import OAuthToken

WORKERS = 2
RESPAWN_TIMEOUT_S = 30.0
# Soak settings: writes are not rate-limited away; a refresh whose answer a
# killed worker lost may be sent again (grace window); the rest is production.
SOAK_ENV = {
    "CIVICAUTH_ISSUE_CREATE_LIMIT": "1000000/hour",
    "CIVICAUTH_REFRESH_GRACE_SECONDS": "30",
    "CIVICAUTH_PURGE_INTERVAL": "300",
}
# The purge soak: tokens that die in seconds, purged every second.
PURGE_ENV = {"CIVICAUTH_ACCESS_TOKEN_TTL": "3", "CIVICAUTH_PURGE_INTERVAL": "1"}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/soak.py", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of mixed load")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--purge-duration", type=float, default=30.0, help="seconds of the purge soak (0: skip)"
    )
    parser.add_argument("--server", choices=("granian", "uvicorn"), default="granian")
    parser.add_argument("--argon2", choices=("production", "cheap"), default="production")
    args = parser.parse_args(argv)
    if args.duration < 6 or args.connections < 1 or args.purge_duration < 0:
        parser.error("--duration must be at least 6 s, --connections at least 1")
    return args


def workers_of(pid: int) -> set[int]:
    """The server's worker processes (children of its supervisor)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in cmdline:
                found.add(int(child))
    return found


def kill_a_worker(server: Server) -> str:
    """SIGKILL one worker, wait for the server to start another; what happened."""
    before = workers_of(server.pid)
    if not before:
        return "no worker found"
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    while time.monotonic() - killed < RESPAWN_TIMEOUT_S:
        now = workers_of(server.pid)
        if victim not in now and len(now) >= len(before):
            return f"pid {victim} killed; a new worker after {time.monotonic() - killed:.2f} s"
        time.sleep(0.05)  # watching /proc: no event to await
    return f"pid {victim} killed; NOT replaced within {RESPAWN_TIMEOUT_S:.0f} s"


async def inject_faults(
    load: Load, duration: float, actions: list[tuple[str, Callable[[], str]]], faults: list[Fault]
) -> None:
    """Each action at its share of the run (1/3, 2/3, ...), in a thread."""
    for index, (name, action) in enumerate(actions, start=1):
        at = duration * index / (len(actions) + 1)
        await asyncio.sleep(max(0.0, at - load.now()))  # a point in the run's schedule
        started = load.now()
        detail = await asyncio.to_thread(action)
        faults.append(Fault(name, started, detail))
        print(f"  {started:6.1f} s  {name}: {detail}", file=sys.stderr, flush=True)


async def mixed_load(
    server: Server,
    fixtures: Fixtures,
    args: argparse.Namespace,
    actions: list[tuple[str, Callable[[], str]]],
) -> str:
    load = Load(server.url, fixtures)
    faults: list[Fault] = []
    await asyncio.gather(
        load.run(args.connections, args.duration),
        inject_faults(load, args.duration, actions, faults),
    )
    end = load.now()
    last = faults[-1].at if faults else end
    before = sorted({token for at, token in load.tokens if at < last})
    print(f"  checking {len(before):,} tokens ...", file=sys.stderr, flush=True)
    tokens = await check_tokens(server.url, before)
    report = format_report(load.records, faults, tokens, end)
    return report + f"\nrefresh chains revoked during the run: {load.dead_chains}"


async def purge_soak(
    server: Server, fixtures: Fixtures, database_url: str, seconds: float
) -> Flatness:
    """Only client_credentials (tokens without refresh tokens, dead at their
    TTL), with the token table's row count sampled every second."""
    load = Load(server.url, fixtures)
    engine = create_engine(database_url, pool_pre_ping=True)
    samples: list[Sample] = []
    stop = threading.Event()

    def count() -> tuple[int, int]:
        dead = (OAuthToken.expires_at <= utcnow()) & OAuthToken.refresh_token_digest.is_(None)
        with engine.connect() as connection:
            rows = connection.execute(select(func.count()).select_from(OAuthToken)).scalar()
            expired = connection.execute(select(func.count()).where(dead)).scalar()
            return int(rows or 0), int(expired or 0)

    async def sample() -> None:
        while not stop.is_set():
            at = load.now()
            rows, expired = await asyncio.to_thread(count)
            samples.append(Sample(at, rows, expired))
            await asyncio.sleep(1.0)  # the sampling period

    samples.append(Sample(0.0, *count()))  # the baseline, before the first token
    sampler = asyncio.create_task(sample())
    try:
        await load.run(16, seconds, {"client-credentials": 1})
    finally:
        stop.set()
        await sampler
        engine.dispose()
    issued = sum(1 for r in load.records if r.outcome == "ok")
    ttl, interval = (float(value) for value in PURGE_ENV.values())
    return Flatness(samples, issued, warmup_s=ttl + 2 * interval + 2)


def cheap_argon2(args: argparse.Namespace) -> dict[str, str]:
    if args.argon2 == "production":
        return {}
    return {
        "CIVICAUTH_ARGON2_TIME_COST": "1",
        "CIVICAUTH_ARGON2_MEMORY_COST": "1024",
        "CIVICAUTH_ARGON2_PARALLELISM": "1",
    }


def soak(args: argparse.Namespace) -> int:
    load_before = os.getloadavg()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="civicauth-soak-")))
        cluster, redis_url = None, None
        if args.backend == "postgres":
            print("starting a private PostgreSQL and Redis ...", file=sys.stderr, flush=True)
            cluster = stack.enter_context(private_postgres(tmp))
            redis_url = stack.enter_context(private_redis(tmp))
            admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text("CREATE DATABASE civicauth"))
            admin.dispose()
            database_url = cluster.url.rsplit("/", 1)[0] + "/civicauth"
        else:
            database_url = f"sqlite:///{tmp / 'soak.sqlite3'}"
        env = {**base_env(database_url, tmp, redis_url), **SOAK_ENV, **cheap_argon2(args)}
        if (done := run_cli(env, tmp, "db", "upgrade")).returncode != 0:
            raise ServerError(f"civicauth db upgrade failed: {done.stderr.strip()}")
        print("seeding ...", file=sys.stderr, flush=True)
        fixtures = seed(env, tmp, issues=2000, spendable=args.connections)
        with running_server(args.server, WORKERS, env, tmp) as server:
            actions: list[tuple[str, Callable[[], str]]] = [
                ("worker SIGKILL", lambda: kill_a_worker(server))
            ]
            if cluster is not None:
                restart = cluster.restart
                actions.append(("PostgreSQL restart", lambda: f"down {restart():.2f} s"))
            print(
                f"mixed load: {args.connections} connections, {args.duration:.0f} s, "
                f"{args.backend}{' + Redis' if redis_url else ''} ...",
                file=sys.stderr,
                flush=True,
            )
            report = asyncio.run(mixed_load(server, fixtures, args, actions))
        flat = None
        if args.purge_duration > 0:
            print(f"purge soak: {args.purge_duration:.0f} s ...", file=sys.stderr, flush=True)
            with running_server(args.server, WORKERS, {**env, **PURGE_ENV}, tmp) as server:
                flat = asyncio.run(purge_soak(server, fixtures, database_url, args.purge_duration))
    if flat is not None:
        ttl, interval = PURGE_ENV.values()
        report += "\n" + format_flatness(flat, ttl, interval)
    print(report)
    after = os.getloadavg()
    print(
        f"\nload average {load_before[0]:.1f} before, {after[0]:.1f} after "
        f"({os.cpu_count()} CPUs; the load generator shares them)",
        file=sys.stderr,
    )
    return 0 if "verdict: PASS" in report and (flat is None or flat.flat) else 1


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM too unwinds everything the soak started


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        return soak(args)
    except ServerError as exc:
        print(f"soak: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
