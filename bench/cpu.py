"""CPU time spent by the server: its supervisor and every worker it started.

Requests per second fall when anything else on the machine wants the cores;
CPU time per request does not, so the bench reports both, and the ratio of
costs stays comparable between a quiet run and a busy one. Linux /proc only.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def parse_stat(line: str) -> tuple[int, float]:
    """(parent pid, user + system CPU seconds) from one ``/proc/PID/stat`` line.

    The command name sits in parentheses and may itself hold spaces and
    parentheses, so the fields are counted from the last ``)`` (proc(5)).
    """
    fields = line[line.rindex(")") + 2 :].split()
    # After the name: state, ppid, ... utime is field 14 and stime 15 of the line.
    ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
    return ppid, (utime + stime) / TICKS_PER_SECOND


def _processes() -> dict[int, tuple[int, float]]:
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            found[int(entry.name)] = parse_stat((entry / "stat").read_text())
        except (OSError, ValueError):
            continue  # it exited while we looked
    return found


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by ``root`` and all its descendants alive now."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in processes.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        if pid in processes:
            total += processes[pid][1]
        stack.extend(children.get(pid, []))
    return total
