"""The in-memory counter: increments, hand-over, give-back."""

from __future__ import annotations

from datetime import date

from civicauth.usage.counter import UsageCounter, UsageKey, agent_product


def test_counts_by_day_method_app_user_and_agent():
    counter = UsageCounter()
    for _ in range(3):
        counter.add("oauth", "app-1", 0)
    counter.add("basic", "", 7, "curl/8.5.0")
    counter.add("basic", "", 7, "python-requests/2.32")
    taken = counter.take()
    assert {(k.method, k.client_id, k.user_id, k.agent): v for k, v in taken.items()} == {
        ("oauth", "app-1", 0, ""): 3,
        ("basic", "", 7, "curl/8.5.0"): 1,
        ("basic", "", 7, "python-requests/2.32"): 1,
    }
    day = next(iter(taken)).date
    assert isinstance(day, date)
    assert abs((day - date.today()).days) <= 1  # UTC, the machine's zone may differ


def test_take_starts_again_from_zero_and_give_back_merges():
    counter = UsageCounter()
    counter.add("personal", "", 3)
    first = counter.take()
    assert counter.take() == {}
    counter.add("personal", "", 3)
    counter.give_back(first)  # a failed flush keeps its counts
    assert list(counter.take().values()) == [2]


def test_key_days_are_utc_days_since_the_epoch():
    assert UsageKey(0, "oauth", "", 0, "").date == date(1970, 1, 1)
    assert UsageKey(20_424, "oauth", "", 0, "").date == date(2025, 12, 2)


def test_agent_is_the_first_product_token_cut_short():
    assert agent_product(b"curl/8.5.0") == "curl/8.5.0"
    assert agent_product(b"Mozilla/5.0 (X11; Linux x86_64) Chrome/120") == "Mozilla/5.0"
    assert agent_product(b"") == ""
    assert len(agent_product(b"x" * 500)) == 64
    assert agent_product("caf\u00e9/1".encode("latin-1")) == "caf\ufffd/1"
