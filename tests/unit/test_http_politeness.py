"""The pure parts of the polite client: Retry-After, the rate limiter, backoff and URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from sources.http import RATE_LIMITS, USER_AGENT, PoliteClient, RateLimiter, parse_retry_after

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """A monotonic clock that only moves when the limiter sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(("header", "seconds"), [("120", 120.0), ("0", 0.0), (" 7 ", 7.0)])
def test_retry_after_in_seconds(header, seconds):
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date():
    header = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert header.endswith("GMT")
    assert parse_retry_after(header, now=NOW) == 90.0


def test_retry_after_in_the_past_means_now():
    header = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    assert parse_retry_after(header, now=NOW) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5e3"])
def test_retry_after_that_cannot_be_read_is_ignored(header):
    assert parse_retry_after(header, now=NOW) is None


def test_rate_limiter_lets_a_burst_through_then_waits_for_the_window():
    clock = FakeClock()
    limiter = RateLimiter(3, 10.0, clock=clock, sleep=clock.sleep)
    assert [limiter.wait() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait() == pytest.approx(10.0)
    assert clock.slept == [pytest.approx(10.0)]


def test_rate_limiter_window_slides():
    clock = FakeClock()
    limiter = RateLimiter(2, 10.0, clock=clock, sleep=clock.sleep)
    limiter.wait()          # t=1000
    clock.now += 4
    limiter.wait()          # t=1004
    clock.now += 3          # t=1007: both stamps are still inside the window
    assert limiter.wait() == pytest.approx(3.0)   # until the first stamp is 10 s old
    assert clock.now == pytest.approx(1010.0)
    clock.now += 20         # everything has left the window
    assert limiter.wait() == 0.0
    assert limiter.wait() == 0.0


def test_rate_limiter_never_exceeds_its_budget_in_any_window():
    clock = FakeClock()
    limiter = RateLimiter(5, 1.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(23):
        limiter.wait()
        sent.append(clock.now)
        clock.now += 0.05
    for i, start in enumerate(sent):
        in_window = [t for t in sent[i:] if t - start < 1.0]
        assert len(in_window) <= 5


def test_default_rate_limits_follow_the_publishers():
    assert RATE_LIMITS["statswales"] == (100, 60.0)
    assert RATE_LIMITS["ons"] == (120, 10.0)
    client = PoliteClient("statswales", "https://example.test/v2", "me@example.test")
    assert (client.limiter.calls, client.limiter.period) == (100, 60.0)


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    client = PoliteClient("ons", "https://example.test/v1", "me@example.test", backoff_base=1.0,
                          max_wait=10.0)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0)]:
        delays = [client._delay(attempt, None) for _ in range(50)]
        assert all(base <= d <= 2 * base for d in delays)
    assert client._delay(8, None) == 10.0


def test_retry_after_wins_over_backoff_but_not_over_the_cap():
    client = PoliteClient("ons", "https://example.test/v1", "me@example.test", max_wait=60.0)
    assert client._delay(1, 30.0) == 30.0
    assert client._delay(4, 0.0) == 0.0
    assert client._delay(1, 3600.0) == 60.0


def test_user_agent_names_the_platform_and_the_contact():
    client = PoliteClient("nomis", "https://example.test/api/v01/", "stats@council.example")
    agent = client.session.headers["User-Agent"]
    assert agent == USER_AGENT.format(contact="stats@council.example")
    assert agent.startswith("DataCymruStatsPlatform/")
    assert "stats@council.example" in agent


def test_paths_are_relative_to_the_base_url_and_absolute_urls_are_kept():
    client = PoliteClient("nomis", "https://example.test/api/v01/", "me@example.test")
    assert client.url("dataset/NM_1_1.data.csv") == "https://example.test/api/v01/dataset/NM_1_1.data.csv"
    assert client.url("/dataset/x") == "https://example.test/api/v01/dataset/x"
    assert client.url("http://other.test/a.csv") == "http://other.test/a.csv"
