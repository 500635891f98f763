"""The compliance report: counts as given, every check once, bilingual, self-contained, escaped."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from sources.report import format_number, format_time, render_report

# ---- a small DOM over the stdlib parser ---------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str | None) -> list[Node]:
        """Elements by tag and attributes (`data_check` is data-check; `class_` matches one class)."""
        wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}

        def matches(node: Node, name: str, value: str | None) -> bool:
            if name not in node.attrs:
                return False
            if value is None:
                return True
            if name == "class":
                return value in (node.attrs[name] or "").split()
            return node.attrs[name] == value

        return [node for node in self.iter() if (not tag or node.tag == tag)
                and all(matches(node, name, value) for name, value in wanted.items())]

    def one(self, tag: str | None = None, **attrs: str | None) -> Node:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else " " if c.tag == "br" else c.raw_text()
                       for c in self.children)

    def text(self) -> str:
        """The text content (a <br> read as a space), whitespace normalised."""
        return " ".join(self.raw_text().split())

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    def lang(self) -> str | None:
        node: Node | None = self
        while node is not None:
            if node.attrs.get("lang"):
                return node.attrs["lang"]
            node = node.parent
        return None


class Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.current.tag != tag:
            self.problems.append(f"</{tag}> closes <{self.current.tag}>")
            return
        self.current = self.current.parent or self.root

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    tree = Tree()
    tree.feed(html)
    tree.close()
    assert not tree.problems, tree.problems[:5]
    assert tree.current is tree.root, f"<{tree.current.tag}> left open"
    return tree.root


def texts_by_lang(root: Node) -> dict[str, str]:
    """All text of the page by the language it is marked as, whitespace normalised."""
    out: dict[str, list[str]] = {}

    def walk(node: Node, lang: str) -> None:
        lang = node.attrs.get("lang") or lang
        for child in node.children:
            if isinstance(child, Node):
                if child.tag not in ("style",):
                    walk(child, lang)
            else:
                out.setdefault(lang, []).append(child)

    walk(root, "en")
    return {k: " ".join(" ".join(v).split()) for k, v in out.items()}


# ---- report dicts --------------------------------------------------------------------------------

PRINCIPLES = {
    "Q1": {"en": "Suitable data sources", "cy": "Ffynonellau data addas", "guidance": "https://example.org/q1"},
    "Q2": {"en": "Sound methods", "cy": "Dulliau cadarn", "guidance": "https://example.org/q2"},
    "Q3": {"en": "Assured quality", "cy": "Ansawdd sicr", "guidance": "https://example.org/q3"},
    "T3": {"en": "Orderly release", "cy": "Rhyddhau trefnus", "guidance": "https://example.org/t3"},
    "T4": {"en": "Transparent processes and management", "cy": "Prosesau a rheolaeth dryloyw",
           "guidance": "https://example.org/t4"},
    "V3": {"en": "Clarity and insight", "cy": "Eglurder a dirnadaeth", "guidance": "https://example.org/v3"},
}
COUNCILS = [("W06000001", "Isle of Anglesey", "Ynys Môn"), ("W06000002", "Gwynedd", "Gwynedd"),
            ("W06000003", "Conwy", "Conwy"), ("W06000004", "Denbighshire", "Sir Ddinbych"),
            ("W06000005", "Flintshire", "Sir y Fflint"), ("W06000006", "Wrexham", "Wrecsam"),
            ("W06000008", "Ceredigion", "Ceredigion"), ("W06000009", "Pembrokeshire", "Sir Benfro"),
            ("W06000010", "Carmarthenshire", "Sir Gaerfyrddin"), ("W06000011", "Swansea", "Abertawe"),
            ("W06000012", "Neath Port Talbot", "Castell-nedd Port Talbot"),
            ("W06000013", "Bridgend", "Pen-y-bont ar Ogwr"),
            ("W06000014", "Vale of Glamorgan", "Bro Morgannwg"),
            ("W06000015", "Cardiff", "Caerdydd"), ("W06000016", "Rhondda Cynon Taf", "Rhondda Cynon Taf"),
            ("W06000018", "Caerphilly", "Caerffili"), ("W06000019", "Blaenau Gwent", "Blaenau Gwent"),
            ("W06000020", "Torfaen", "Tor-faen"), ("W06000021", "Monmouthshire", "Sir Fynwy"),
            ("W06000022", "Newport", "Casnewydd"), ("W06000023", "Powys", "Powys"),
            ("W06000024", "Merthyr Tydfil", "Merthyr Tudful")]
MART = "mart_performance_framework"
SHA = "ab" * 32
XSS = "<script>alert(1)</script>"


def check(name: str, principle: str = "Q3.3", *, outcome: str = "passed", severity: str = "blocking",
          engine: str = "dbt", asset: str = f"marts/{MART}", gate: str | None = None,
          examined: int | None = 22, observed: dict[str, Any] | None = None,
          examples: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"check_name": name, "asset_key": asset, "gate": gate or name, "engine": engine,
            "principle": principle, "principle_group": principle.split(".")[0], "standard": "6, 7",
            "severity": severity, "outcome": outcome,
            "must_hold_en": f"Every row satisfies {name}.",
            "must_hold_cy": f"Mae pob rhes yn bodloni {name}.",
            "rationale_en": f"Without {name} a figure could mislead.",
            "rationale_cy": f"Heb {name} gallai ffigur gamarwain.",
            "guidance": "https://example.org/guidance", "examined": examined,
            "observed": observed if observed is not None else {"failing_rows": 0},
            "failing_examples": examples or [], "checked_at": "2025-03-01T10:15:00+00:00"}


def summarise(checks: list[dict[str, Any]]) -> dict[str, Any]:
    """As the caller counts: every check once, under its principle group."""
    by_principle: dict[str, Counter] = {}
    for c in checks:
        by_principle.setdefault(c["principle_group"], Counter())[c["outcome"]] += 1
    return {"by_outcome": dict(Counter(c["outcome"] for c in checks)),
            "by_principle": {k: dict(v) for k, v in by_principle.items()}, "total": len(checks)}


def measure(series: str, *, outlier: bool = False, missing: bool = False) -> dict[str, Any]:
    values = []
    for i, (code, en, cy) in enumerate(COUNCILS):
        value: float | None = 40.0 + i * 1.37
        marker = None
        if outlier and code == "W06000015":
            value = 97.25
        if missing and code == "W06000024":
            value, marker = None, "[x]"
        values.append({"area_code": code, "area_name_en": en, "area_name_cy": cy, "value": value,
                       "marker": marker})
    return {"series": series, "title_en": f"Measure {series} in English",
            "title_cy": f"Mesur {series} yn Gymraeg", "period": "2023-24", "unit": "%",
            "wales_value": 54.6, "values": values}


def base_report(kind: str, checks: list[dict[str, Any]]) -> dict[str, Any]:
    blocked = kind == "blocked"
    sources = [
        {"dataset": "statswales__pam", "title_en": "Performance measures", "title_cy": "Mesurau perfformiad",
         "provider": "statswales", "licence_en": "OGL-UK-3.0", "licence_cy": "TLlA-DU-3.0",
         "archive_sha256": [SHA, "cd" * 32],
         "retrieved_at": "2025-03-01T09:00:00+00:00", "data_version": "2025-02-27",
         "changed_since_previous": kind != "passing", "submissions": []},
        {"dataset": "council__returns", "title_en": "Council returns", "title_cy": "Ffurflenni cynghorau",
         "provider": "councils", "licence_en": "OGL-UK-3.0", "licence_cy": "TLlA-DU-3.0",
         "archive_sha256": ["ef" * 32],
         "retrieved_at": None, "data_version": None, "changed_since_previous": None,
         "submissions": [{"council": "Cardiff", "area_code": "W06000015", "sha256": "12" * 32,
                          "received_at": "2025-02-28T16:00:00+00:00"}]},
    ]
    history = {f"{c['asset_key']}::{c['check_name']}": [
        {"release_id": f"R{12 - i:04d}-20250101T000000Z-deadbeef", "run_id": f"run-{i}",
         "checked_at": f"2025-02-{20 - i:02d}T10:00:00+00:00", "outcome": "passed"} for i in range(12)]
        for c in checks}
    return {
        "release": {"release_id": None if blocked else "R0013-20250301T101500Z-0a1b2c3d", "mart": MART,
                    "status": "blocked" if blocked else "published",
                    "blocked_reason_en": "Blocking check unique_natural_key failed <b>twice</b>" if blocked
                    else "",
                    "blocked_reason_cy": "Methodd y gwiriad rhwystro unique_natural_key" if blocked else "",
                    "created_at": "2025-03-01T10:15:30+00:00",
                    "title_en": "Local authority performance framework",
                    "title_cy": "Fframwaith perfformiad awdurdodau lleol",
                    "description_en": "Performance measures of the 22 councils.",
                    "description_cy": "Mesurau perfformiad y 22 cyngor.",
                    "status_label_en": "Sample data: not official statistics",
                    "status_label_cy": "Data sampl: nid ystadegau swyddogol", "mode": "snapshot",
                    "code_version": "5434b15", "run_id": "6f1c2d3e-run",
                    "previous_release": "R0012-20250201T000000Z-deadbeef"},
        "checks": checks, "principles": PRINCIPLES, "summary": summarise(checks), "sources": sources,
        "revisions": [] if kind == "passing" else [
            {"measure": "PAM/030", "area_code": "W06000015", "period": "2022-23",
             "previous_value": "61.2", "value": "61.9", "flag": "[r]"}],
        "history": history,
        "principle_history": [{"label": f"R{n:04d}", "by_principle": {"Q3": {"passed": 3, "warned": n % 2},
                                                                      "T3": {"passed": 1}}}
                              for n in range(10, 13)],
        "measure_charts": [measure("PAM/030", outlier=kind != "passing", missing=kind == "warned"),
                           measure("PAM/012")],
    }


def passing_release() -> dict[str, Any]:
    return base_report("passing", [
        check("unique_natural_key"), check("required_values_present"),
        check("provenance_present", "T4.5"), check("valid_codes", "Q2.2"),
        check("release_metadata_complete", "T3.1", engine="python", asset=f"release/{MART}", examined=None),
        check("every_council_present", "Q1.2", engine="gx", observed={"councils": 22}),
        check("values_in_range__pam_030", "Q3.4", engine="gx", gate="values_in_range"),
        check("values_in_range__pam_012", "Q3.4", engine="gx", gate="values_in_range"),
        check("unique_natural_key", asset="staging/stg_pam"),  # same name, another asset
    ])


def warned_release() -> dict[str, Any]:
    outliers = [{"area_code": "W06000015", "measure": "PAM/030", "value": 97.25, "previous": 48.1,
                 "note": XSS},
                {"area_code": "W06000011", "measure": "PAM/030", "value": 12.0, "previous": None,
                 "note": {"ratio": 0.2}}]
    return base_report("warned", [
        check("unique_natural_key"), check("provenance_present", "T4.5"),
        check("year_on_year_outliers", "Q3.4", outcome="warned", severity="warn", engine="gx",
              observed={"outliers": 2, "threshold": 0.5, "long": "x" * 600}, examples=outliers),
        check("council_returns_complete", "Q1.3", outcome="not_applicable", engine="python",
              examined=0, observed={}, examples=[{"ignored": "shown nowhere"}]),
        check("revisions_flagged", "V3.2", engine="python", asset=f"release/{MART}"),
    ])


def blocked_attempt() -> dict[str, Any]:
    duplicates = [{"measure": "PAM/030", "area_code": "W06000015", "period": "2023-24", "rows": 2},
                  {"measure": "PAM/012", "area_code": "W06000004", "period": "2023-24", "rows": 3}]
    return base_report("blocked", [
        check("unique_natural_key", outcome="failed", observed={"failing_rows": 2}, examples=duplicates),
        check("required_values_present"), check("provenance_present", "T4.5"),
        check("year_on_year_outliers", "Q3.4", outcome="passed", severity="warn", engine="gx"),
        check("broken_expectation", "Q2.2", outcome="error", engine="gx", examined=None,
              observed={"error": "KeyError: 'value'"}),
    ])


REPORTS = {"passing": passing_release, "warned": warned_release, "blocked": blocked_attempt}


@pytest.fixture(params=sorted(REPORTS))
def rendered(request, tmp_path: Path) -> tuple[dict[str, Any], str, Node]:
    report = REPORTS[request.param]()
    html = render_report(report)
    path = tmp_path / request.param / "report.html"
    path.parent.mkdir()
    path.write_text(html, encoding="utf-8")
    return report, path.read_text(encoding="utf-8"), parse(html)


def render(report: dict[str, Any], tmp_path: Path, name: str) -> tuple[str, Node]:
    html = render_report(report)
    (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    return html, parse(html)


def meta(row: Node) -> dict[str, str]:
    """A check row's facts under its name: label -> value."""
    items = row.one("dl", class_="meta").elements()
    return {dt.text(): dd.text() for dt, dd in zip(items[::2], items[1::2], strict=True)}


def number(text: str) -> int:
    return int(text.replace(",", ""))


# ---- the page as a whole -------------------------------------------------------------------------


def test_page_is_english_first_with_its_sections_in_order(rendered):
    _, html, root = rendered
    assert root.one("html").attrs["lang"] == "en"
    assert html.lstrip().lower().startswith("<!doctype html>")
    order = ["summary", "sources", "changes", "charts", "checks", "failing-examples", "revisions"]
    positions = [html.index(f'id="{anchor}"') for anchor in order]
    assert positions == sorted(positions)
    assert html.index("data-status-label") < html.index('id="summary"')
    ids = [n.attrs["id"] for n in root.iter() if n.attrs.get("id")]
    assert len(ids) == len(set(ids)), "ids are unique"
    for link in root.find_all("a"):
        href = link.attrs.get("href") or ""
        if href.startswith("#"):
            assert href[1:] in ids, href


def test_status_label_is_shown_at_the_top_in_both_languages(rendered):
    report, _, root = rendered
    label = root.one(data_status_label=None)
    assert report["release"]["status_label_en"] in label.text()
    assert [s.text() for s in label.find_all("span", lang="cy")] == [report["release"]["status_label_cy"]]


def test_summary_counts_are_the_callers(rendered):
    report, _, root = rendered
    summary = report["summary"]
    assert number(root.one(data_total=None).text()) == summary["total"]
    table = root.one("table", id="summary-outcomes")
    for outcome in ("passed", "warned", "failed", "error", "not_applicable"):
        cell = table.one("td", data_count=outcome)
        assert number(cell.text()) == summary["by_outcome"].get(outcome, 0), outcome
    principles = root.one("table", id="summary-principles")
    rows = principles.find_all("tr", data_principle=None)
    assert [r.attrs["data-principle"] for r in rows] == sorted(summary["by_principle"])
    for row in rows:
        counts = summary["by_principle"][row.attrs["data-principle"]]
        for cell in row.find_all("td", data_count=None):
            assert number(cell.text()) == counts.get(cell.attrs["data-count"], 0)
        name = PRINCIPLES[row.attrs["data-principle"]]
        link = row.one("a")
        assert link.attrs["href"] == name["guidance"]
        assert name["en"] in link.text() and link.one("span", lang="cy").text() == name["cy"]


def test_every_check_appears_once_under_its_principle(rendered):
    report, _, root = rendered
    rows = root.find_all("tr", data_check=None)
    keys = Counter(r.attrs["data-check"] for r in rows)
    assert keys == Counter(f"{c['asset_key']}::{c['check_name']}" for c in report["checks"])
    assert set(keys.values()) == {1}
    for section in root.find_all("section"):
        heading = section.elements()[0] if section.elements() else None
        if heading is None or heading.tag != "h3" or not heading.attrs.get("id", "").startswith("principle-"):
            continue
        group = heading.attrs["id"].removeprefix("principle-")
        assert PRINCIPLES[group]["en"] in heading.text() and PRINCIPLES[group]["cy"] in heading.text()
        for row in section.find_all("tr", data_check=None):
            found = next(c for c in report["checks"]
                         if f"{c['asset_key']}::{c['check_name']}" == row.attrs["data-check"])
            assert found["principle_group"] == group
            assert row.attrs["data-outcome"] == found["outcome"]


def test_blocked_banner_only_on_a_blocked_attempt(rendered):
    report, html, root = rendered
    release = report["release"]
    banners = root.find_all(id="blocked")
    release_cell = root.one(data_release_id=None).text()
    if release["status"] == "blocked":
        assert len(banners) == 1
        text = banners[0].text()
        assert "BLOCKED" in text and "WEDI'I RWYSTRO" in text
        assert "Nothing was published; the previous release stays in place." in text
        assert "Ni chyhoeddwyd dim; mae'r datganiad blaenorol yn aros yn ei le." in text
        assert "Blocking check unique_natural_key failed <b>twice</b>" in text  # shown, not markup
        assert release["blocked_reason_cy"] in [p.text() for p in banners[0].find_all("p", lang="cy")]
        assert "no release: blocked" in release_cell and "dim datganiad: wedi'i rwystro" in release_cell
        assert root.one("head").one("title").text().startswith("BLOCKED")
    else:
        assert banners == [] and "BLOCKED" not in html
        assert release_cell == release["release_id"]


def test_charts_are_inline_svg_with_title_description_and_a_table(rendered):
    report, _, root = rendered
    figures = root.find_all("figure")
    assert len(figures) == 1 + len(report["measure_charts"])
    for figure in figures:
        svg = figure.one("svg")
        first, second = svg.elements()[:2]
        assert first.tag == "title" and first.text() and second.tag == "desc" and second.text()
        assert svg.attrs["role"] == "img" and svg.attrs["width"] and svg.attrs["height"]
        assert set(svg.attrs["aria-labelledby"].split()) == {first.attrs["id"], second.attrs["id"]}
        details = figure.one("details")
        assert "Table of the numbers" in details.one("summary").text()
        assert details.find_all("table")


def test_history_chart_stacks_outcomes_per_release_per_principle(rendered):
    report, _, root = rendered
    figure = root.one("figure", id="chart-history")
    panels = figure.find_all("g", data_principle=None)
    assert [p.attrs["data-principle"] for p in panels] == ["Q3", "T3"]
    q3 = panels[0]
    tooltips = [t.text() for t in q3.find_all("title")]
    assert "R0011 · Q3 · warned / rhybudd: 1" in tooltips
    assert "R0012 · Q3 · passed / wedi pasio: 3" in tooltips
    rows = figure.one("details").one("tbody").find_all("tr")
    assert len(rows) == len(report["principle_history"]) * 2


def test_measure_chart_draws_every_council_and_wales(rendered):
    report, _, root = rendered
    for chart in report["measure_charts"]:
        figure = next(f for f in root.find_all("figure", class_="measure-chart")
                      if chart["series"] in f.one("figcaption").text())
        with_value = [v for v in chart["values"] if v["value"] is not None]
        bars = figure.one("svg").find_all("g", data_area=None)
        assert len(bars) == len(with_value)
        drawn = [b.attrs["data-area"] for b in bars]
        assert drawn == [v["area_code"] for v in sorted(with_value, key=lambda v: -v["value"])]
        cardiff = next(b for b in bars if b.attrs["data-area"] == "W06000015")
        assert cardiff.one("title").text().startswith("Cardiff / Caerdydd:")
        wales = figure.one("g", class_="wales")
        assert "Wales / Cymru: 54.6" in wales.one("title").text()
        line = wales.one("line")
        assert line.attrs["x1"] == line.attrs["x2"]
        table_rows = figure.one("details").one("tbody").find_all("tr")
        assert len(table_rows) == len(chart["values"]) == 22
        for v in chart["values"]:
            if v["value"] is None:
                assert f"{v['area_name_en']} / {v['area_name_cy']} ({v['marker']})" in figure.text()


def test_report_stands_alone(rendered):
    _, html, root = rendered
    assert root.find_all("script") == []
    assert root.find_all("link") == [] and root.find_all("img") == []
    assert [n for n in root.iter() if "src" in n.attrs] == []
    assert not re.search(r"@import|url\(", root.one("style").text())
    for node in root.iter():
        href = node.attrs.get("href") or ""
        assert node.tag == "a" or not href, f"<{node.tag} href={href}>"
        assert not any(a.startswith("on") for a in node.attrs)
    assert "javascript:" not in html.lower()


def test_every_english_sentence_has_its_welsh_beside_it(rendered):
    report, _, root = rendered
    texts = texts_by_lang(root)
    english, welsh = texts["en"], texts["cy"]
    pairs = [(report["release"]["title_en"], report["release"]["title_cy"]),
             (report["release"]["description_en"], report["release"]["description_cy"]),
             (report["release"]["status_label_en"], report["release"]["status_label_cy"])]
    pairs += [(c["must_hold_en"], c["must_hold_cy"]) for c in report["checks"]]
    pairs += [(c["rationale_en"], c["rationale_cy"]) for c in report["checks"]]
    pairs += [(s["title_en"], s["title_cy"]) for s in report["sources"]]
    pairs += [(m["title_en"], m["title_cy"]) for m in report["measure_charts"]]
    pairs += [(p["en"], p["cy"]) for code, p in PRINCIPLES.items()
              if code in report["summary"]["by_principle"]]
    pairs += [("Summary", "Crynodeb"), ("Failing examples", "Enghreifftiau sy'n methu"),
              ("Revisions", "Diwygiadau"), ("not applicable", "amherthnasol"), ("warned", "rhybudd"),
              ("failed", "wedi methu"), ("error", "gwall"), ("passed", "wedi pasio")]
    for en, cy in pairs:
        assert en in english, en
        assert cy in welsh, cy
    # Every heading carries its Welsh.
    for heading in [n for n in root.iter() if n.tag in ("h1", "h2", "h3")]:
        if heading.attrs.get("id", "").startswith("examples-"):
            continue  # a check's name: an identifier, the same in both languages
        assert heading.find_all(lang="cy"), heading.text()


def test_html_in_the_data_is_escaped(tmp_path):
    report = warned_release()
    report["release"]["title_en"] += " <i>draft</i>"
    report["sources"][0]["licence_en"] = '"><img src=x onerror=alert(2)>'
    html, root = render(report, tmp_path, "escaped")
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "<i>draft</i>" not in html
    assert root.find_all("script") == [] and root.find_all("i") == []
    assert XSS in root.one("section", data_examples_for=f"marts/{MART}::year_on_year_outliers").text()
    assert "Local authority performance framework <i>draft</i>" in root.one("h1").text()


def test_not_applicable_is_shown_as_such_and_not_counted_as_passed(tmp_path):
    report = warned_release()
    _, root = render(report, tmp_path, "not_applicable")
    row = root.one("tr", data_check=f"marts/{MART}::council_returns_complete")
    assert row.attrs["data-outcome"] == "not_applicable" and "check-not_applicable" in row.attrs["class"]
    badge = row.one("span", class_="outcome-not_applicable")
    assert "not applicable" in badge.text() and "amherthnasol" in badge.text()
    assert "passed" not in badge.text()
    passed = sum(c["outcome"] == "passed" for c in report["checks"])
    table = root.one("table", id="summary-outcomes")
    assert number(table.one("td", data_count="passed").text()) == passed == 3
    assert number(table.one("td", data_count="not_applicable").text()) == 1
    # Its examples are not a failure: no link, no examples section.
    assert not [a for a in row.find_all("a") if a.attrs["href"].startswith("#examples")]
    assert root.find_all("section", data_examples_for=f"marts/{MART}::council_returns_complete") == []
    assert "shown nowhere" not in root.text()


@pytest.mark.parametrize("kind, failing", [("warned", "year_on_year_outliers"),
                                           ("blocked", "unique_natural_key")])
def test_failing_examples_are_tabled_and_linked_from_their_check(tmp_path, kind, failing):
    report = REPORTS[kind]()
    _, root = render(report, tmp_path, kind)
    key = f"marts/{MART}::{failing}"
    row = root.one("tr", data_check=key)
    links = [a for a in row.find_all("a") if a.attrs["href"].startswith("#examples-")]
    assert len(links) == 1
    section = root.one("section", id=links[0].attrs["href"][1:])
    assert section.attrs["data-examples-for"] == key
    examples = next(c for c in report["checks"] if c["check_name"] == failing)["failing_examples"]
    table = section.one("table")
    columns = [th.one("code").text() for th in table.one("thead").find_all("th")]
    assert columns == list(dict.fromkeys(k for e in examples for k in e))
    assert len(table.one("tbody").find_all("tr")) == len(examples)
    back = [a for a in section.find_all("a") if a.attrs["href"] == f"#{row.elements()[0].attrs['id']}"]
    assert back
    sections = root.find_all("section", data_examples_for=None)
    assert [s.attrs["data-examples-for"] for s in sections] == [key]


def test_blocked_attempt_shows_the_error_and_the_failure(tmp_path):
    report = blocked_attempt()
    _, root = render(report, tmp_path, "blocked-outcomes")
    error = root.one("tr", data_check=f"marts/{MART}::broken_expectation")
    assert "gwall" in error.one("span", class_="outcome-error").text()
    assert "not reported" in error.text() and "heb ei nodi" in error.text()
    failed = root.one("tr", data_check=f"marts/{MART}::unique_natural_key")
    assert "wedi methu" in failed.text() and "yn rhwystro" in failed.text()


def test_check_row_shows_gate_observed_and_recent_history(tmp_path):
    report = warned_release()
    report["history"][f"marts/{MART}::year_on_year_outliers"][0]["release_id"] = None
    _, root = render(report, tmp_path, "history")
    row = root.one("tr", data_check=f"marts/{MART}::year_on_year_outliers")
    observed = row.one("code", class_="observed").text()
    assert observed.startswith('{"outliers": 2') and observed.endswith("…") and len(observed) <= 300
    items = row.one("ol", class_="history").find_all("li")
    assert len(items) == 8
    newest = items[0]
    assert newest.one("time").attrs["title"] == "2025-02-20 10:00 UTC"
    assert newest.text().startswith("2025-02-20 run / rhediad")
    assert newest.one("span", title="run-0")
    assert items[1].one("code", title="R0011-20250101T000000Z-deadbeef").text() == "R0011"
    assert "passed / wedi pasio" in items[1].text()
    same = root.one("tr", data_check=f"marts/{MART}::unique_natural_key")
    assert "Gate / Gât" not in meta(same)
    passing = passing_release()
    _, root = render(passing, tmp_path, "gate-name")
    row = root.one("tr", data_check=f"marts/{MART}::values_in_range__pam_030")
    assert meta(row)["Gate / Gât"] == "values_in_range"
    assert meta(row)["Engine / Peiriant"] == "gx" and meta(row)["Standard / Safon"] == "6, 7"
    assert meta(row)["Severity / Difrifoldeb"] == "blocking / yn rhwystro"


def test_sources_hashes_submissions_and_changes(rendered):
    report, _, root = rendered
    table = root.one("table", class_="sources")
    pam = table.one("tr", data_dataset="statswales__pam")
    short = pam.find_all("code", title=SHA)
    assert len(short) == 1 and short[0].text() == SHA[:12] + "…"
    submissions = table.one("table", class_="submissions")
    assert "Cardiff" in submissions.text() and "W06000015" in submissions.text()
    assert submissions.one("code", title="12" * 32).text() == "12" * 6 + "…"
    changed = pam.elements()[-1].text()
    expected = ("yes", "ydy") if report["sources"][0]["changed_since_previous"] else ("no", "nac ydy")
    assert changed == f"{expected[0]} / {expected[1]}"
    returns = table.one("tr", data_dataset="council__returns")
    assert returns.elements()[-1].text() == "unknown / anhysbys"
    changes = root.one("h3", id="changes")
    facts = changes.parent.elements()[changes.parent.elements().index(changes) + 1]
    assert report["release"]["previous_release"] in facts.text()
    assert number(facts.one("a", data_revised=None).text()) == len(report["revisions"])
    assert ("Performance measures" in facts.text()) == bool(report["sources"][0]["changed_since_previous"])


def test_revisions_section_counts_and_tables_the_revised_values(rendered):
    report, _, root = rendered
    section = root.one("h2", id="revisions").parent
    assert section.one(data_revised_count=None).attrs["data-revised-count"] == str(len(report["revisions"]))
    assert section.find_all(lang="cy")
    if report["revisions"]:
        table = section.one("table")
        rows = table.one("tbody").find_all("tr")
        assert len(rows) == len(report["revisions"])
        assert [td.text() for td in rows[0].find_all("td")] == list(report["revisions"][0].values())
        assert "previous value / gwerth blaenorol" in table.one("thead").text()
    else:
        assert section.find_all("table") == []


def test_a_release_id_placeholder_is_left_for_the_release_writer(tmp_path):
    report = passing_release()
    report["release"]["release_id"] = "{{RELEASE_ID}}"
    html, root = render(report, tmp_path, "placeholder")
    assert root.one(data_release_id=None).text() == "{{RELEASE_ID}}"
    assert html.count("{{RELEASE_ID}}") >= 2  # the page title and the release line


def test_empty_lists_still_render(tmp_path):
    report = passing_release()
    report.update(checks=[], sources=[], revisions=[], history={}, principle_history=[], measure_charts=[],
                  summary={"by_outcome": {}, "by_principle": {}, "total": 0})
    _, root = render(report, tmp_path, "empty")
    assert root.find_all("svg") == [] and root.find_all("tr", data_check=None) == []
    assert "No checks ran." in root.text()


@pytest.mark.parametrize("value, text", [(None, "–"), (1234, "1,234"), (22.0, "22"), (54.6, "54.6"),
                                         (1234.567, "1,234.6"), (0.12345, "0.123"), (3.14159, "3.14"),
                                         ("[x]", "[x]")])
def test_numbers_are_readable(value, text):
    assert format_number(value) == text


def test_times_are_readable():
    assert format_time("2025-03-01T10:15:30+00:00") == "2025-03-01 10:15 UTC"
    assert format_time("2025-03-01T10:15:30Z") == "2025-03-01 10:15 UTC"
    assert format_time("2025-07-01T10:15:30+01:00") == "2025-07-01 10:15 +0100"
    assert format_time("2025-03-01T10:15:30") == "2025-03-01 10:15"
    assert format_time("yesterday") == "yesterday" and format_time(None) == "–"


CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium on this machine "
                    "(.ci/run installs Debian's chromium package)")
@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_report_renders_offline_in_headless_chromium(tmp_path, kind):
    """The page as a browser lays it out, offline: a screenshot beside the page, and the DOM the
    browser built still holds the summary, the charts and the Welsh."""
    page = tmp_path / "report.html"
    page.write_text(render_report(REPORTS[kind]()), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1280,4000", f"--screenshot={shot}",
                    page.as_uri()], check=True, capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    assert "data-total" in dom and "<svg" in dom and 'lang="cy"' in dom
    assert ("BLOCKED" in dom) == (kind == "blocked")
