"""Server CPU time from /proc: one process tree, its workers included."""

from __future__ import annotations

import os
import subprocess
import sys

from bench import cpu

BURN = """
import sys, time
end = time.process_time() + 0.3
while time.process_time() < end:
    pass
print("burnt", flush=True)
sys.stdin.read()
"""


def test_parse_stat_counts_fields_after_the_last_parenthesis() -> None:
    ticks = cpu.TICKS_PER_SECOND
    line = f"42 (odd) name (x)) S 7 42 42 0 -1 4194304 1 0 0 0 {3 * ticks} {ticks} 0 0 20 0 1"
    assert cpu.parse_stat(line) == (7, 4.0)


def test_tree_includes_the_root_itself() -> None:
    own = os.times()
    assert cpu.tree_cpu_seconds(os.getpid()) >= own.user + own.system - 0.05


def test_tree_includes_live_children() -> None:
    before = cpu.tree_cpu_seconds(os.getpid())
    with subprocess.Popen(
        [sys.executable, "-c", BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        assert child.stdin is not None
        assert child.stdout.readline() == "burnt\n"
        assert cpu.tree_cpu_seconds(os.getpid()) - before >= 0.25
        assert cpu.tree_cpu_seconds(child.pid) >= 0.25
        child.stdin.close()


def test_a_missing_process_costs_nothing() -> None:
    assert cpu.tree_cpu_seconds(2**22 + 12345) == 0.0
