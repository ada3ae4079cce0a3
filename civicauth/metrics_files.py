"""Where the workers of ``civicauth serve`` write their metric files.

Standard library only: ``civicauth serve`` calls this before anything imports
prometheus_client, which picks its multiprocess mode from
``PROMETHEUS_MULTIPROC_DIR`` once, when it is first imported (and granian's
workers are forked from the serving process, imports and all).
"""

from __future__ import annotations

import os
import shutil
from contextlib import suppress
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def fresh_metrics_dir(var_dir: Path) -> Path:
    """A new, empty directory for this start's metric files,
    ``var/metrics/<pid>`` of the serving process. Directories of earlier
    starts that no longer run are removed first, so values from a previous
    run never add to this one's, and several servers on one ``var/`` each
    keep their own."""
    root = var_dir / "metrics"
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        if old.name.isdigit() and not alive(int(old.name)):
            shutil.rmtree(old, ignore_errors=True)
    mine = root / str(os.getpid())
    shutil.rmtree(mine, ignore_errors=True)
    mine.mkdir()
    return mine


def remove_metrics_dir(path: Path) -> None:
    with suppress(OSError):
        shutil.rmtree(path)
