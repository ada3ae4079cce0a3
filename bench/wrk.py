"""Driving wrk and reading what it measured.

wrk's human summary changes units with scale ("1.2ms", "980us", "1.05k"),
so the bench never scrapes it: ``report.lua`` prints one machine-readable
line from wrk's ``done()`` hook, and ``parse_output`` reads only that line.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = "BENCH_RESULT "
REPORT_LUA = Path(__file__).resolve().parent / "report.lua"


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed no result line."""


@dataclass(frozen=True)
class Request:
    """One HTTP request that every wrk connection sends over and over."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    # Bodies to send one each instead of ``body`` (credentials spent by each
    # request, such as authorization codes); dealt out among wrk's threads,
    # and once they run out, the last one again.
    bodies: tuple[str, ...] = ()


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    bytes_read: int
    # Responses with a status of 400 or more, as wrk counts them.
    error_statuses: int
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]  # "mean", "max", "p50", "p99", ...
    # status -> count, only for scenarios that ask wrk to count statuses.
    statuses: dict[int, int] | None = None

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def non_2xx(self) -> int:
        if self.statuses is not None:
            return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)
        return self.error_statuses


def _ms(microseconds: Any) -> float:
    return math.nan if microseconds is None else float(microseconds) / 1000.0


def parse_output(text: str) -> WrkResult:
    """The result line that ``report.lua`` printed; raises WrkError without one."""
    line = next((ln for ln in text.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        raise WrkError("wrk printed no result line (did report.lua's done() run?)")
    try:
        data = json.loads(line[len(MARKER) :])
    except json.JSONDecodeError as exc:
        raise WrkError(f"wrk's result line is not JSON: {exc}") from None
    errors = {k: int(v or 0) for k, v in data["errors"].items()}
    latency = data["latency_us"]
    latency_ms = {"mean": _ms(latency["mean"]), "max": _ms(latency["max"])}
    latency_ms.update({f"p{p}": _ms(v) for p, v in latency["percentiles"].items()})
    statuses = data.get("statuses")
    return WrkResult(
        requests=int(data["requests"]),
        duration_s=float(data["duration_us"]) / 1e6,
        bytes_read=int(data["bytes"]),
        error_statuses=errors.pop("status"),
        socket_errors=errors,
        latency_ms=latency_ms,
        statuses=None if statuses is None else {int(k): int(v) for k, v in statuses.items()},
    )


def _lua_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


def _lua_bodies(bodies: tuple[str, ...], threads: int) -> str:
    """``bodies``: one Lua list per wrk thread (report.lua's ``request()``
    takes thread ``thread_number``'s list), so no two threads send one body."""
    if not bodies:
        return ""
    shares = [bodies[i::threads] for i in range(threads)]
    lists = ",\n".join("{" + ",".join(_lua_string(b) for b in share) + "}" for share in shares)
    return "bodies = {\n" + lists + "\n}"


def lua_script(request: Request, count_statuses: bool, threads: int = 1) -> str:
    """The prelude that shapes the request, followed by the shared hooks."""
    lines = [
        f"wrk.method = {_lua_string(request.method)}",
        f"wrk.body = {_lua_string(request.body)}" if request.body else "",
        *(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in request.headers.items()),
        f"count_statuses = {'true' if count_statuses else 'false'}",
        _lua_bodies(request.bodies, threads),
    ]
    prelude = "\n".join(line for line in lines if line)
    return prelude + "\n" + REPORT_LUA.read_text()


@dataclass(frozen=True)
class Load:
    """How hard and how long wrk pushes."""

    connections: int = 64
    threads: int = 2
    duration_s: int = 10
    timeout_s: int = 10  # above argon2's worst queueing, so slow answers still count

    @property
    def wrk_threads(self) -> int:
        return min(self.threads, self.connections)


def command(wrk: str, url: str, script: Path, load: Load) -> list[str]:
    return [
        wrk,
        f"--threads={load.wrk_threads}",
        f"--connections={load.connections}",
        f"--duration={load.duration_s}s",
        f"--timeout={load.timeout_s}s",
        f"--script={script}",
        url,
    ]


def find_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk is not installed (Debian: apt-get install wrk)")
    return found


def run(
    base_url: str, request: Request, load: Load, workdir: Path, count_statuses: bool
) -> WrkResult:
    """Run wrk once against ``base_url + request.path`` and parse its result."""
    script = workdir / "scenario.lua"
    script.write_text(lua_script(request, count_statuses, load.wrk_threads))
    argv = command(find_wrk(), base_url + request.path, script, load)
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=load.duration_s + load.timeout_s + 30
    )
    if done.returncode != 0:
        raise WrkError(f"wrk exited {done.returncode}: {done.stderr.strip()[:300]}")
    return parse_output(done.stdout)
