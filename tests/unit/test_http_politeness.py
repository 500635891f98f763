"""The pure parts of the polite client: Retry-After, the rate limiters, backoff and URLs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from sources.http import (
    RATE_LIMITS,
    USER_AGENT,
    FileRateLimiter,
    PoliteClient,
    RateLimiter,
    parse_retry_after,
    with_margin,
)

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


def test_default_rate_limits_follow_the_publishers_with_a_margin():
    assert RATE_LIMITS["statswales"] == (100, 60.0)
    assert RATE_LIMITS["ons"] == (120, 10.0)
    kept = {}
    for provider in ("statswales", "ons", "nomis"):
        limiter = PoliteClient(provider, "https://example.test/v2", "me@example.test").limiter
        kept[provider] = (limiter.calls, round(limiter.period, 6))
    assert kept == {"statswales": (90, 66.0), "ons": (108, 11.0), "nomis": (54, 66.0)}


def test_the_margin_keeps_fewer_calls_over_a_longer_period_and_at_least_one_call():
    calls, period = with_margin(100, 60.0)
    assert calls == 90 and period == pytest.approx(66.0)
    assert with_margin(1, 1.0)[0] == 1


def test_an_explicit_rate_limit_is_kept_as_given():
    client = PoliteClient("nomis", "https://example.test/api/v01", "me@example.test",
                          rate_limit=(1000, 1.0))
    assert (client.limiter.calls, client.limiter.period) == (1000, 1.0)
    assert isinstance(client.limiter, RateLimiter)


def test_a_rate_limit_folder_shares_the_window_through_a_file(tmp_path: Path):
    client = PoliteClient("ons", "https://example.test/v1", "me@example.test", rate_limit=(5, 1.0),
                          rate_limit_dir=tmp_path / ".ratelimit")
    assert isinstance(client.limiter, FileRateLimiter)
    assert client.limiter.path == tmp_path / ".ratelimit" / "ons.json"
    client.limiter.wait()
    assert len(json.loads(client.limiter.path.read_text())) == 1


def test_two_file_limiters_on_one_file_share_one_budget(tmp_path: Path):
    clock = FakeClock()
    path = tmp_path / "nomis.json"
    first = FileRateLimiter(path, 3, 10.0, clock=clock, sleep=clock.sleep)
    second = FileRateLimiter(path, 3, 10.0, clock=clock, sleep=clock.sleep)
    assert [first.wait(), second.wait(), first.wait()] == [0.0, 0.0, 0.0]
    clock.now += 4
    assert second.wait() == pytest.approx(6.0)   # until the first stamps are 10 s old
    assert clock.now == pytest.approx(1010.0)
    assert [first.wait(), second.wait()] == [0.0, 0.0]  # those stamps have left the window
    assert first.wait() == pytest.approx(10.0)


def test_a_file_limiter_never_exceeds_its_budget_in_any_window(tmp_path: Path):
    clock = FakeClock()
    limiters = [FileRateLimiter(tmp_path / "ons.json", 5, 1.0, clock=clock, sleep=clock.sleep)
                for _ in range(3)]
    sent = []
    for i in range(23):
        limiters[i % 3].wait()
        sent.append(clock.now)
        clock.now += 0.05
    for i, start in enumerate(sent):
        assert len([t for t in sent[i:] if t - start < 1.0]) <= 5
    # Only the stamps that can still decide a wait are kept.
    assert len(json.loads((tmp_path / "ons.json").read_text())) <= 5


def test_a_file_limiter_forgets_old_stamps_and_survives_a_damaged_file(tmp_path: Path):
    clock = FakeClock()
    path = tmp_path / "statswales.json"
    path.write_text(json.dumps([clock.now - 100, clock.now - 50]))
    limiter = FileRateLimiter(path, 1, 10.0, clock=clock, sleep=clock.sleep)
    assert limiter.wait() == 0.0
    assert json.loads(path.read_text()) == [clock.now]
    path.write_text("[1000.0, ")  # not written by the limiter (its writes are atomic)
    assert limiter.wait() == 0.0


def test_a_wall_clock_stepped_back_waits_at_most_one_period(tmp_path: Path):
    clock = FakeClock()
    path = tmp_path / "ons.json"
    path.write_text(json.dumps([clock.now + 3600.0]))  # stamped before the clock went back an hour
    limiter = FileRateLimiter(path, 1, 10.0, clock=clock, sleep=clock.sleep)
    assert limiter.wait() == pytest.approx(10.0)


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    client = PoliteClient("ons", "https://example.test/v1", "me@example.test", backoff_base=1.0,
                          max_wait=10.0)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0)]:
        delays = [client.backoff_delay(attempt) for _ in range(50)]
        assert all(base <= d <= 2 * base for d in delays)
    assert client.backoff_delay(8) == 10.0


def test_retry_after_wins_over_backoff_but_not_over_the_cap():
    client = PoliteClient("ons", "https://example.test/v1", "me@example.test", max_wait=60.0)
    assert client.backoff_delay(1, 30.0) == 30.0
    assert client.backoff_delay(4, 0.0) == 0.0
    assert client.backoff_delay(1, 3600.0) == 60.0


def test_pause_logs_and_sleeps_with_the_injected_sleep():
    slept, lines = [], []
    client = PoliteClient("ons", "https://example.test/v1", "me@example.test", backoff_base=0.5,
                          sleep=slept.append, log=lines.append)
    delay = client.pause(2, "invalid body")
    assert slept == [delay] and 1.0 <= delay <= 2.0
    assert lines == [f"ons: attempt 2 failed (invalid body); retrying in {delay:.1f}s"]


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
