"""One rate-limit window per provider, shared by every client and process of one home.

Arrival times are taken at a loopback server, as the publisher would see them.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug import Request, Response

from sources.fetch import make_client
from sources.http import FileRateLimiter, RateLimiter, with_margin
from sources.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTACT = "tests@datacymru.example"

# A client in a process of its own, as under Dagster's multiprocess executor: it says "ready"
# once imported, waits for "go" so that both processes start together, then sends its requests.
CHILD = """
import sys
from pathlib import Path
from sources.http import PoliteClient
from sources.settings import Settings

home, base = Path(sys.argv[1]), sys.argv[2]
count, calls, period = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
client = PoliteClient("nomis", base, "tests@datacymru.example", rate_limit=(calls, period),
                      rate_limit_dir=Settings(home=home).rate_limit_dir, tmp_dir=home)
print("ready", flush=True)
sys.stdin.readline()
for _ in range(count):
    client.download("ping.csv").path.unlink()
"""


class Arrivals:
    """Answers every request with a small CSV and notes when it arrived (wall clock)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self._lock:
            self.times.append(time.time())
        return Response("A\r\n1\r\n", content_type="text/csv")

    def most_in_any_window(self, seconds: float) -> int:
        """The most arrivals in any window of `seconds`, wherever the server's windows start."""
        times = sorted(self.times)
        return max(len([t for t in times[i:] if t - start < seconds]) for i, start in enumerate(times))

    def most_in_a_fixed_window(self, seconds: float) -> int:
        """The most arrivals in one window of a fixed grid of the server's clock (0, 1 s, 2 s...)."""
        counts: dict[int, int] = {}
        for t in self.times:
            counts[int(t // seconds)] = counts.get(int(t // seconds), 0) + 1
        return max(counts.values())


@pytest.fixture
def arrivals(threaded_httpserver) -> Arrivals:
    handler = Arrivals()
    threaded_httpserver.expect_request("/nomis/ping.csv").respond_with_handler(handler)
    return handler


def run_in_two_processes(home: Path, base: str, per_process: int, rate: tuple[int, float]) -> None:
    args = [home, base, per_process, *rate]
    children = [subprocess.Popen([sys.executable, "-c", CHILD, *map(str, args)], cwd=REPO_ROOT,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(2)]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            _, err = child.communicate(timeout=60)
            assert child.returncode == 0, err
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()


def test_two_processes_share_one_window(home: Path, threaded_httpserver, arrivals: Arrivals):
    run_in_two_processes(home, threaded_httpserver.url_for("/nomis"), 5, (5, 1.0))
    assert len(arrivals.times) == 10
    # The sixth request waits for the first to leave the window: 10 requests take a second.
    assert max(arrivals.times) - min(arrivals.times) >= 0.95
    # Two windows of their own would have let all ten through at once.
    assert arrivals.most_in_any_window(0.9) <= 5
    assert (home / ".ratelimit" / "nomis.json").exists()


def test_with_the_margin_no_server_window_sees_more_than_the_published_limit(
        home: Path, threaded_httpserver, arrivals: Arrivals):
    published = (5, 1.0)
    run_in_two_processes(home, threaded_httpserver.url_for("/nomis"), 6, with_margin(*published))
    assert len(arrivals.times) == 12
    assert arrivals.most_in_a_fixed_window(1.0) <= 5
    assert arrivals.most_in_any_window(1.0) <= 5   # whatever the alignment of the server's windows


def test_clients_of_two_datasets_share_the_provider_window(home: Path, threaded_httpserver,
                                                           arrivals: Arrivals, datasets):
    settings = Settings(home=home, mode="live", base_urls={"nomis": threaded_httpserver.url_for("/nomis")},
                        contact=CONTACT)
    clients = [make_client(datasets.nomis(key, dataset_id), settings, log=print, rate_limit=(5, 1.0))
               for key, dataset_id in (("nomis__first", "NM_1_1"), ("nomis__second", "NM_2_1"))]
    started = time.monotonic()
    for i in range(10):
        clients[i % 2].download("ping.csv").path.unlink()
    assert time.monotonic() - started >= 1.0
    assert arrivals.most_in_any_window(0.9) <= 5
    assert {c.limiter.path for c in clients} == {home / ".ratelimit" / "nomis.json"}


def test_a_live_client_keeps_the_published_limit_with_its_margin(home: Path, datasets):
    client = make_client(datasets.nomis(), Settings(home=home, mode="live"), log=print)
    assert isinstance(client.limiter, FileRateLimiter)
    assert (client.limiter.calls, client.limiter.period) == with_margin(60, 60.0)


def test_an_operator_override_is_kept_exactly_and_still_shared(home: Path, datasets):
    settings = Settings.from_env({"DATA_CYMRU_HOME": str(home), "DATA_CYMRU_MODE": "live",
                                  "DATA_CYMRU_NOMIS_RATE_LIMIT": "1000/1"})
    client = make_client(datasets.nomis(), settings, log=print)
    assert isinstance(client.limiter, FileRateLimiter)
    assert (client.limiter.calls, client.limiter.period) == (1000, 1.0)


def test_snapshot_replay_needs_no_shared_window(home: Path, datasets):
    dataset = datasets.nomis("nomis__population_estimates")  # a key with a bundled snapshot
    client = make_client(dataset, Settings(home=home, mode="snapshot"), log=print)
    assert isinstance(client.limiter, RateLimiter)
    assert not (home / ".ratelimit").exists()
