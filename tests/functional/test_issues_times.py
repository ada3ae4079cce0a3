"""Issue times are RFC 3339 in UTC with a "Z", seconds whole or with six
digits, and null when unset, alike in a list and in a single read."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.functional.issues_support import add_issue, add_reporter

WHOLE = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
FRACTION = datetime(2024, 5, 2, 8, 30, 15, 123, tzinfo=UTC)


@pytest.fixture(scope="module")
def issue_id(ctx) -> int:
    reporter = add_reporter(ctx, "Time Reporter", "times@example.com")
    return add_issue(
        ctx,
        reporter,
        lat=-12.0464,
        lng=-77.0428,
        created_at=WHOLE,
        updated_at=FRACTION,
        acknowledged_at=FRACTION,
        closed_at=None,
        status="acknowledged",
    )


def test_times_read_alike_in_lists_and_single_reads(server, issue_id):
    listed = httpx.get(
        f"{server.url}/api/v2/issues",
        params={"min_lat": -12.05, "max_lat": -12.04, "min_lng": -77.05, "max_lng": -77.04},
    ).json()["issues"]
    single = httpx.get(f"{server.url}/api/v2/issues/{issue_id}").json()
    expected = {
        "created_at": "2024-05-01T12:00:00Z",
        "updated_at": "2024-05-02T08:30:15.000123Z",
        "acknowledged_at": "2024-05-02T08:30:15.000123Z",
        "closed_at": None,
        "reopened_at": None,
    }
    for body in (next(i for i in listed if i["id"] == issue_id), single):
        assert {key: body[key] for key in expected} == expected
