"""The Dagster UI as analysts and auditors use it, read in headless Chromium.

One real `dagster-webserver` on a free loopback port, over a copy of the home the session's
snapshot refresh made (`refreshed`), and one browser. Before the webserver starts, two things go
wrong in that copy, through Dagster as they would in use: the claimant count's freshness check
runs with the clock moved past its `max_age_days`, and a bad council return is taken in. Each
test opens a page a person would open and asserts what they would see there; every page is saved
as a screenshot in the test's temporary folder. Chromium is Debian's (`/usr/bin/chromium`),
driven by Playwright with `executable_path`, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from system_tools import free_port, require_or_skip

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))),
                None)
MART = "mart_performance_framework"
STALE = "nomis__claimant_count"
BAD_RETURN = REPO / "tests" / "fixtures" / "returns" / "fail" / "negative_value.csv"
COUNCIL = "W06000015"
LOCATION_STATUS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"


def _loaded(url: str) -> bool:
    """Whether the webserver answers and has loaded the code location."""
    request = urllib.request.Request(f"{url}/graphql", json.dumps({"query": LOCATION_STATUS}).encode(),
                                     {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            entries = json.load(answer)["data"]["workspaceOrError"]["locationEntries"]
    except (urllib.error.URLError, OSError, KeyError, TypeError):
        return False
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)


def _stale_dataset_and_quarantined_return(home: Path) -> None:
    """In `home`: the `STALE` dataset's freshness check failed, and a bad return quarantined.

    The check is the real derived one, run through Dagster with its clock a day past the
    dataset's `max_age_days`; the return is taken in by a real run of `raw/council__returns`
    and its `return_accepted` check.
    """
    from dagster import AssetCheckKey, DagsterInstance
    from dagster._core.test_utils import freeze_time
    from dagster._time import get_current_datetime

    from orchestration.assets.returns import RETURN_GATE, RETURNS_KEY
    from orchestration.definitions import defs
    from orchestration.freshness import freshness_check_key
    from orchestration.runner import COMMAND_TAG, REFRESH_JOB
    from sources.catalogue import catalogue
    from sources.returns import submit
    from sources.settings import Settings

    dataset = catalogue()[STALE]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(home / "dagster"))
        env.setenv("DATA_CYMRU_HOME", str(home / "data"))
        env.setenv("DATA_CYMRU_MODE", "snapshot")
        with DagsterInstance.get() as instance:
            job = defs.resolve_job_def(REFRESH_JOB).get_subset(
                asset_selection=set(), asset_check_selection={freshness_check_key(dataset)})
            with freeze_time(get_current_datetime() + timedelta(days=dataset.max_age_days + 1)):
                assert job.execute_in_process(instance=instance, raise_on_error=False).success
            submit(BAD_RETURN, COUNCIL, Settings.from_env())
            # The intake asset with its own gate only: the dbt test on the returns table would
            # add 40 s of dbt to show nothing new.
            gate_only = {AssetCheckKey(RETURNS_KEY, RETURN_GATE)}
            intake = defs.resolve_job_def(REFRESH_JOB).get_subset(
                asset_selection={RETURNS_KEY}, asset_check_selection=gate_only)
            assert intake.execute_in_process(instance=instance, raise_on_error=False,
                                             tags={COMMAND_TAG: "submit"}).success


@pytest.fixture(scope="module")
def webserver(refreshed, tmp_path_factory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("ui") / "home"
    shutil.copytree(refreshed[0], home, symlinks=True)
    _stale_dataset_and_quarantined_return(home)
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "DAGSTER_HOME": str(home / "dagster"), "DATA_CYMRU_HOME": str(home / "data"),
           "DATA_CYMRU_MODE": "snapshot"}
    log = (home / "webserver.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-h", "127.0.0.1",
         "-p", url.rsplit(":", 1)[1], "-w", "workspace.yaml"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not _loaded(url):
            assert server.poll() is None, (home / "webserver.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the webserver did not load the code location in 300 s"
            time.sleep(1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()


@pytest.fixture(scope="module")
def browser_context(webserver):
    """One browser for the module; the newsletter dialog a new visitor may get is dismissed once."""
    require_or_skip(CHROMIUM, "Chromium", "apt-get install chromium")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = chromium.new_context(viewport={"width": 1600, "height": 1000})
        context.set_default_timeout(120_000)
        expect.set_options(timeout=60_000)  # a busy machine renders slowly; the page is the same
        first = context.new_page()
        first.goto(webserver + "/asset-groups")
        try:
            first.get_by_role("button", name="Skip").click(timeout=20_000)
        except PlaywrightTimeout:
            pass  # not shown to this visitor
        first.close()
        yield context
        chromium.close()


@pytest.fixture
def page(browser_context, webserver, tmp_path):
    """A page on the webserver; `page.show(path, name)` opens a path and saves a screenshot."""
    tab = browser_context.new_page()

    def show(path: str, name: str) -> None:
        tab.goto(webserver + path)
        tab.wait_for_load_state("networkidle")
        skip = tab.get_by_role("button", name="Skip")
        if skip.is_visible():
            skip.click()
        tab.screenshot(path=tmp_path / f"{name}.png", full_page=True)

    tab.show = show
    tab.shot = lambda name: tab.screenshot(path=tmp_path / f"{name}.png", full_page=True)
    yield tab
    tab.close()


def reads_as(label: str, name: str) -> bool:
    """Whether a graph label, cut in the middle (`mart_pe…_framework`), shows `name`."""
    if "…" not in label:
        return label == name
    start, end = label.split("…", 1)
    return len(name) > len(label) - 1 and name.startswith(start) and name.endswith(end)


def test_the_asset_graph_shows_every_layer_as_a_named_group(page):
    from playwright.sync_api import expect

    page.show("/asset-groups", "asset-graph")
    for group in ("archive", "raw", "seeds", "staging", "intermediate", "marts", "releases"):
        expect(page.get_by_text(group, exact=True).first).to_be_visible()


def test_a_mart_lineage_runs_from_the_archive_to_its_release(page):
    """Every step from the publisher's archived answer to the release, each node telling apart."""
    from playwright.sync_api import expect

    page.show(f"/assets/release/release__{MART}?view=lineage&lineageScope=upstream&lineageDepth=6",
              "lineage")
    # The graph lays itself out after the page is idle; on a busy machine that takes a while.
    page.get_by_text("Materialize all", exact=True).first.wait_for()
    expect(page.get_by_text("Not all upstream/downstream assets shown")).to_have_count(0)
    lines = [line.strip() for line in page.locator("body").inner_text().splitlines() if line.strip()]
    labels = lines[len(lines) - lines[::-1].index("Materialize all"):]  # the graph, below its toolbar
    chain = ["archive__statswales__municipal_waste", "statswales__municipal_waste",
             "stg_statswales__municipal_waste", "int_performance_measures_unioned", MART,
             f"release__{MART}"]
    for name in chain:
        shown = [label for label in labels if reads_as(label, name)]
        assert len(shown) == 1, f"{name} reads as {shown} among {labels}"
    cut = [label for label in labels if "…" in label]
    assert len(cut) == len(set(cut)), f"two nodes read alike: {sorted(cut)}"


def test_a_mart_check_shows_its_code_of_practice_principle_and_history(page):
    from playwright.sync_api import expect

    from sources.gates.registry import gate

    page.show(f"/assets/marts/{MART}?view=checks", "checks")
    page.get_by_text("councils_complete", exact=True).first.click()
    expect(page.get_by_text("This is a blocking asset check.")).to_be_visible()
    principle = gate("councils_complete").principle
    expect(page.get_by_text(f"Code of Practice {principle}", exact=False).first).to_be_visible()
    expect(page.get_by_text("principle", exact=True).first).to_be_visible()
    page.shot("check-councils-complete")
    page.get_by_text("Execution history", exact=True).click()
    expect(page.get_by_text("Succeeded").first).to_be_visible()
    page.shot("check-history")


def test_an_asset_says_who_owns_it_what_it_is_and_where_its_code_is(page):
    from playwright.sync_api import expect

    page.show(f"/assets/marts/{MART}", "mart-overview")
    expect(page.get_by_text("Owners", exact=True)).to_be_visible()
    expect(page.get_by_text("statistics", exact=True).first).to_be_visible()
    expect(page.get_by_text("dbt", exact=True).first).to_be_visible()
    expect(page.get_by_text("Source code", exact=True)).to_be_visible()
    expect(page.get_by_text(f"{MART}.sql").first).to_be_visible()


def test_the_release_links_its_folder_and_report(page):
    from playwright.sync_api import expect

    page.show(f"/assets/release/release__{MART}", "release-overview")
    expect(page.get_by_text("statistics", exact=True).first).to_be_visible()
    expect(page.get_by_text("report.html", exact=False).first).to_be_visible()


def test_the_archive_links_the_publishers_url(page):
    from playwright.sync_api import expect

    page.show("/assets/archive/archive__statswales__municipal_waste", "archive-overview")
    link = page.locator('a[href^="https://api.stats.gov.wales/v2"]').first
    expect(link).to_be_visible()
    expect(page.get_by_text("data-engineering", exact=True).first).to_be_visible()


def test_the_runs_page_names_the_job_and_who_started_it(page):
    from playwright.sync_api import expect

    page.show("/runs", "runs")
    expect(page.get_by_text("refresh_all", exact=True).first).to_be_visible()
    expect(page.get_by_text("datacymru/command: refresh").first).to_be_visible()
    expect(page.get_by_text("Success").first).to_be_visible()


def test_a_stale_dataset_shows_its_failed_freshness_check_with_the_catalogues_max_age(page):
    from playwright.sync_api import expect

    from sources.catalogue import catalogue

    max_age = catalogue()[STALE].max_age_days
    page.show(f"/assets/raw/{STALE}?view=checks", "freshness-checks")
    page.get_by_text("freshness_check", exact=True).first.click()
    expect(page.get_by_text("This is a non-blocking asset check.")).to_be_visible()
    expect(page.get_by_text("Failed", exact=True).first).to_be_visible()
    expect(page.get_by_text("Asset is overdue for an update", exact=False)).to_be_visible()
    expect(page.get_by_text(f"past the allowed distance of {max_age} days ago", exact=False)).to_be_visible()
    expect(page.get_by_text("dagster/last_updated_timestamp", exact=True)).to_be_visible()
    page.shot("freshness-failed")


def test_a_quarantined_return_fails_its_check_and_tags_its_run(page):
    from playwright.sync_api import expect

    page.show("/assets/raw/council__returns?view=checks", "returns-checks")
    page.get_by_text("return_accepted", exact=True).first.click()
    expect(page.get_by_text("Failed", exact=True).first).to_be_visible()
    expect(page.get_by_text("Code of Practice Q1.3", exact=False)).to_be_visible()
    expect(page.get_by_text("1 of 1 return(s) taken in quarantined", exact=False)).to_be_visible()
    named = page.get_by_text(f"__{BAD_RETURN.name} from {COUNCIL}", exact=False)
    expect(named).to_be_visible()
    expect(named).to_contain_text("feedback.html")
    expect(page.get_by_text("feedback_report", exact=True)).to_be_visible()
    page.shot("return-accepted-failed")
    page.show("/runs", "runs-quarantined")
    expect(page.get_by_text("datacymru/quarantined: 1").first).to_be_visible()
