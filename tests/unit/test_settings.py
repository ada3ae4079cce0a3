"""The generated secret key: private from its first byte, one key for every process."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from civicauth.settings import Settings

WRITERS = 6
ROUNDS = 20


def generated_key(var_dir: Path) -> str:
    return Settings(var_dir=var_dir, secret_key="").resolved_secret_key()


def test_secret_key_file_is_private_from_its_first_byte(tmp_path, monkeypatch):
    # With no umask to help, a file created open and tightened afterwards would
    # be readable by anyone for a moment; forbidding chmod shows it never is.
    def no_chmod(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the key file must be created private, not tightened later")

    monkeypatch.setattr(os, "chmod", no_chmod)
    old_umask = os.umask(0)
    try:
        key = generated_key(tmp_path)
    finally:
        os.umask(old_umask)
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == key
    assert len(key) >= 64
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_an_existing_key_file_is_kept(tmp_path):
    first = generated_key(tmp_path)
    assert generated_key(tmp_path) == first


def write_at_once(var_dirs: list[Path], barrier: Any, results: Any) -> None:
    # One race per folder, every writer released together into each.
    for var_dir in var_dirs:
        barrier.wait()
        results.put((var_dir, generated_key(var_dir)))


def test_processes_started_at_once_end_with_one_key(tmp_path):
    var_dirs = [tmp_path / str(n) for n in range(ROUNDS)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    results = context.Queue()
    writers = [
        context.Process(target=write_at_once, args=(var_dirs, barrier, results))
        for _ in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    keys: dict[Path, set[str]] = {var_dir: set() for var_dir in var_dirs}
    for _ in range(WRITERS * ROUNDS):
        var_dir, key = results.get(timeout=60)
        keys[var_dir].add(key)
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert keys == {d: {(d / "secret_key").read_text()} for d in var_dirs}


@pytest.fixture(autouse=True)
def _no_configured_key(monkeypatch):
    monkeypatch.delenv("CIVICAUTH_SECRET_KEY", raising=False)
