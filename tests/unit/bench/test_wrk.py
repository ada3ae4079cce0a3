"""The wrk driver: reading report.lua's result line, writing the Lua prelude."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import wrk

# What wrk 4.1 prints with report.lua loaded (its own summary, then our line).
OUTPUT = """\
Running 1s test @ http://127.0.0.1:18765/api/v2/profile
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.84ms    1.30ms  19.08ms   88.70%
    Req/Sec   699.27     83.55   838.00     68.18%
  1530 requests in 1.10s, 776.95KB read
  Non-2xx or 3xx responses: 1500
Requests/sec:   1391.05
Transfer/sec:    706.39KB
BENCH_RESULT {"requests":1530,"duration_us":1099887,"bytes":795600,\
"errors":{"connect":0,"read":2,"write":0,"status":1500,"timeout":1},\
"latency_us":{"mean":2842.0077071290943,"max":19084,"stdev":1295.39,\
"percentiles":{"50":2626,"75":3192,"90":3963,"99":7040,"99.9":18066}},\
"statuses":{"401":1000,"429":500,"200":30}}
"""


def test_parses_the_result_line() -> None:
    result = wrk.parse_output(OUTPUT)
    assert result.requests == 1530
    assert result.duration_s == pytest.approx(1.099887)
    assert result.requests_per_s == pytest.approx(1530 / 1.099887)
    assert result.bytes_read == 795600
    assert result.latency_ms["p50"] == pytest.approx(2.626)
    assert result.latency_ms["p99"] == pytest.approx(7.04)
    assert result.latency_ms["p99.9"] == pytest.approx(18.066)
    assert result.latency_ms["max"] == pytest.approx(19.084)
    assert result.socket_errors == {"connect": 0, "read": 2, "write": 0, "timeout": 1}


def test_status_mix_decides_non_2xx_when_counted() -> None:
    result = wrk.parse_output(OUTPUT)
    assert result.statuses == {401: 1000, 429: 500, 200: 30}
    assert result.non_2xx == 1500


def test_without_a_status_mix_non_2xx_is_wrks_own_count() -> None:
    text = OUTPUT.replace('"statuses":{"401":1000,"429":500,"200":30}', '"statuses":null')
    result = wrk.parse_output(text)
    assert result.statuses is None
    assert result.non_2xx == 1500


def test_a_run_without_answers_has_no_latency_and_no_rate() -> None:
    line = {
        "requests": 0,
        "duration_us": 0,
        "bytes": 0,
        "errors": {"connect": 64, "read": 0, "write": 0, "status": 0, "timeout": 0},
        "latency_us": {"mean": None, "max": 0, "stdev": None, "percentiles": {"50": 0}},
        "statuses": None,
    }
    result = wrk.parse_output("BENCH_RESULT " + json.dumps(line))
    assert result.requests_per_s == 0.0
    assert math.isnan(result.latency_ms["mean"])
    assert result.socket_errors["connect"] == 64


def test_output_without_the_result_line_is_an_error() -> None:
    with pytest.raises(wrk.WrkError, match="no result line"):
        wrk.parse_output("Running 1s test @ http://127.0.0.1:1/\n  0 requests in 1.00s\n")


def test_a_broken_result_line_is_an_error() -> None:
    with pytest.raises(wrk.WrkError, match="not JSON"):
        wrk.parse_output('BENCH_RESULT {"requests": 1,')


def test_lua_prelude_sets_method_body_headers_and_escapes_them() -> None:
    request = wrk.Request(
        "/oauth/token",
        method="POST",
        headers={"Authorization": 'Basic a"b\\c'},
        body="grant_type=client_credentials\n",
    )
    script = wrk.lua_script(request, count_statuses=True)
    prelude = script.split("\n-- wrk hooks")[0]
    assert 'wrk.method = "POST"' in prelude
    assert 'wrk.body = "grant_type=client_credentials\\n"' in prelude
    assert 'wrk.headers["Authorization"] = "Basic a\\"b\\\\c"' in prelude
    assert "count_statuses = true" in prelude
    assert script.endswith(wrk.REPORT_LUA.read_text())


def test_a_get_sends_no_body_and_counts_no_statuses_unless_asked() -> None:
    script = wrk.lua_script(wrk.Request("/api/v2"), count_statuses=False)
    assert "wrk.body" not in script.split("\n-- wrk hooks")[0]
    assert "count_statuses = false" in script


def test_bodies_are_dealt_out_among_the_threads() -> None:
    request = wrk.Request("/oauth/token", method="POST", body="b0", bodies=("b1", "b2", "b3"))
    prelude = wrk.lua_script(request, count_statuses=True, threads=2).split("\n-- wrk hooks")[0]
    assert 'bodies = {\n{"b1","b3"},\n{"b2"}\n}' in prelude
    assert 'wrk.body = "b0"' in prelude
    assert (
        "bodies"
        not in wrk.lua_script(wrk.Request("/x"), count_statuses=False).split("\n-- wrk hooks")[0]
    )


def test_command_bounds_threads_by_connections_and_sets_a_timeout() -> None:
    load = wrk.Load(connections=1, threads=4, duration_s=3, timeout_s=9)
    argv = wrk.command("/usr/bin/wrk", "http://127.0.0.1:1/x", Path("s.lua"), load)
    assert argv == [
        "/usr/bin/wrk",
        "--threads=1",
        "--connections=1",
        "--duration=3s",
        "--timeout=9s",
        "--script=s.lua",
        "http://127.0.0.1:1/x",
    ]
