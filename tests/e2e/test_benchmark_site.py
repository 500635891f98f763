"""The benchmarking pages of a release, opened in headless Chromium as a reader would open them.

On a home after a full snapshot refresh: the release of the performance framework carries `site/`;
Cardiff's page shows, for every measure, the figures of the release CSV (value, rank among the
councils reporting, quartile, Wales) with Cardiff highlighted in the chart of all 22; the Welsh
measure page is in Welsh with the councils' Welsh names; nothing reaches for the network; and the
pages are among the release files `datacymru audit verify` checks. Screenshots go to tmp_path.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from sources.i18n import gettext
from sources.labels import ENUM_LABELS
from sources.report import format_number
from sources.site import WALES, slug

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)
MART = "mart_performance_framework"
CARDIFF = "W06000015"


class Fields(HTMLParser):
    """Text of every `data-field` element, by the `data-measure` section or `data-area` row it is in."""

    def __init__(self) -> None:
        super().__init__()
        self.scope: list[str | None] = []
        self.open: list[tuple[str, str | None, str | None]] = []
        self.fields: dict[tuple[str | None, str], str] = {}
        self.highlighted: list[str] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if a.get("data-highlight") == "true" and a.get("data-area"):
            self.highlighted.append(a["data-area"])
        scope = a.get("data-measure") or a.get("data-area")
        self.open.append((tag, scope, a.get("data-field")))
        if a.get("data-field"):
            key = (self._scope(), a["data-field"])
            self.fields[key] = ""

    def _scope(self) -> str | None:
        return next((s for _, s, _ in reversed(self.open) if s), None)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, _, field in reversed(self.open):
            if field:
                key = (self._scope(), field)
                self.fields[key] += data
                break


def browse(page: Path, tmp_path: Path) -> tuple[str, Fields]:
    """A screenshot of the page in tmp_path, and the DOM Chromium built, parsed."""
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / f"{page.parent.name}-{page.stem}.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1200,3000", f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    fields = Fields()
    fields.feed(dom)
    return dom, fields


def clean(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def release(refreshed) -> tuple[Path, Path, list[dict[str, Any]]]:
    home = refreshed[0]
    folder = home / "data" / "releases" / MART
    folder = folder / (folder / "latest").read_text(encoding="utf-8").strip()
    with (folder / f"{MART}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return home, folder, rows


def latest(rows: list[dict[str, Any]], measure: str) -> str:
    with_values = [r for r in rows if r["measure_id"] == measure and r["area_type"] == "council"
                   and r["value"]]
    return max(with_values, key=lambda r: r["period_start_date"])["period"]


def shown(value: str) -> str:
    return format_number(float(value)) if value else "–"


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium on this machine "
                    "(.ci/run installs Debian's chromium package)")
def test_council_page_shows_the_release_figures_with_the_council_highlighted(release, tmp_path):
    _, folder, rows = release
    page = folder / "site" / "council" / f"{CARDIFF}.en.html"
    dom, fields = browse(page, tmp_path)
    assert fields.html_lang == "en" and "<svg" in dom
    measures = sorted({r["measure_id"] for r in rows})
    with_bar = 0
    for measure in measures:
        period = latest(rows, measure)
        row = next(r for r in rows if (r["measure_id"], r["area_code"], r["period"]) ==
                   (measure, CARDIFF, period))
        value = clean(fields.fields[(measure, "value")])
        assert value.startswith(shown(row["value"])), (measure, value, row["value"])
        assert clean(fields.fields[(measure, "wales")]) == shown(row["wales_value"])
        if row["rank"]:
            assert clean(fields.fields[(measure, "rank")]) == gettext("{rank} of {count}", "en").format(
                rank=row["rank"], count=row["councils_reporting"])
            assert clean(fields.fields[(measure, "quartile")]).startswith(row["quartile"])
        direction = clean(fields.fields[(measure, "direction")])
        assert direction.startswith(ENUM_LABELS["direction"][row["direction"]])
        with_bar += bool(row["value"])
    # Cardiff is the highlighted bar of every measure's chart of all 22 where it has a value
    assert fields.highlighted == [CARDIFF] * with_bar and with_bar
    assert f"datacymru trace --release {folder.name} --measure" in dom
    assert "(SAMPLE)" in dom and "Sample data: not official statistics" in dom
    assert (page.parent / f"{CARDIFF}.cy.html").exists()


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium on this machine "
                    "(.ci/run installs Debian's chromium package)")
def test_welsh_measure_page_is_in_welsh_with_the_release_figures(release, tmp_path):
    _, folder, rows = release
    measure = "PAM/030"
    page = folder / "site" / "measure" / f"{slug(measure)}.cy.html"
    dom, fields = browse(page, tmp_path)
    assert fields.html_lang == "cy"
    period = latest(rows, measure)
    councils = [r for r in rows if r["measure_id"] == measure and r["period"] == period
                and r["area_type"] == "council"]
    assert len(councils) == 22
    for row in councils:
        assert clean(fields.fields[(row["area_code"], "value")]) == shown(row["value"])
        assert clean(fields.fields[(row["area_code"], "rank")]) == (row["rank"] or "–")
        assert row["area_name_cy"] in dom
    wales = next(r for r in rows if (r["measure_id"], r["area_code"], r["period"]) ==
                 (measure, WALES, period))
    assert clean(fields.fields[(None, "wales")]) == shown(wales["value"])
    for msgid in ("Rank among councils", "Quartile", "Wales", "Councils",
                  "Where this figure comes from",
                  "The Welsh text of these pages awaits review by a translator."):
        assert gettext(msgid, "cy") in dom, msgid
    assert wales["measure_title_cy"] in dom
    assert "Isle of Anglesey" not in dom and "Ynys Môn" in dom
    assert "Data sampl" in dom  # the SAMPLE label of the release, in Welsh
    switch = re.search(r'<a href="([^"]+)"[^>]*data-language-switch', dom)
    assert switch and (page.parent / switch.group(1)).exists()


def test_every_release_of_a_mart_by_area_has_offline_pages_that_audit_verify_checks(release, cli):
    home, folder, _ = release
    site = folder / "site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 2 * (1 + 22 + len({p.name.split(".")[0] for p in (site / "measure").iterdir()})) + 1
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html), page
    wellbeing = home / "data" / "releases" / "mart_wellbeing_indicators"
    assert (wellbeing / (wellbeing / "latest").read_text().strip() / "site" / "index.html").exists()
    deprivation = home / "data" / "releases" / "mart_deprivation_profile"
    assert not (deprivation / (deprivation / "latest").read_text().strip() / "site").exists()
    done = cli(home, "audit", "verify")
    assert done.returncode == 0, done.stdout[-2000:]
