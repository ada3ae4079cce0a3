from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from civicauth.app import build_context, create_app
from civicauth.context import AppContext
from civicauth.settings import Settings
from tests.cluster import Cluster, cluster_of
from tests.support import Backend, LiveServer, finish, live_server, make_backend, settings_env


def pytest_sessionfinish() -> None:
    finish()


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """A fresh, migrated database for one test module; a module may set
    ``SETTINGS = {"CIVICAUTH_...": ...}`` to change settings for its server."""
    backend = make_backend(tmp_path_factory.mktemp("backend"), migrated=True)
    backend.env.update(getattr(request.module, "SETTINGS", {}))
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def settings(backend: Backend) -> Iterator[Settings]:
    with settings_env(backend.env):
        yield Settings()


@pytest.fixture(scope="module")
def ctx(settings: Settings) -> Iterator[AppContext]:
    """Services on the module's database, for arranging and checking state."""
    context = build_context(settings)
    yield context
    context.db.dispose()


@pytest.fixture(scope="module")
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="module")
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """The app in-process."""
    with TestClient(app, base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def server(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server over HTTP, one per module."""
    with live_server(backend.env, tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture(scope="module")
def cluster(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two ``civicauth serve`` processes of two workers each, on separate
    ports, on the module's one database (and Redis on PostgreSQL): several
    hosts behind a load balancer (tests/cluster.py)."""
    with cluster_of(backend, tmp_path_factory.mktemp("cluster")) as running:
        yield running


@pytest.fixture
def make_user(ctx: AppContext) -> Any:
    """Create a user with a unique email; returns (id, email, password)."""
    import uuid

    from civicauth.accounts.services import register_user

    def make(
        password: str = "correct horse battery", name: str = "Test Resident"
    ) -> tuple[int, str, str]:
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        with ctx.db.transaction() as session:
            user = register_user(session, ctx.passwords, name=name, email=email, password=password)
            return user.id, email, password

    return make


ROOT = Path(__file__).resolve().parent.parent
