"""The SAMPLE publisher APIs: wire formats, paging, consistency and determinism.

The StatsWales rules (column names, notes, /filters, stored queries, paging) are pinned in
`test_sample_statswales.py`; this file keeps Nomis, ONS and what concerns all three providers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import urllib.error
import urllib.request
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

import pytest

from sources.catalogue import Dataset, catalogue
from sources.sample_api import Response, SampleApi, mirror_urls, serve

URLS = {"statswales": "https://api.stats.gov.wales/v2", "nomis": "https://www.nomisweb.co.uk/api/v01",
        "ons": "https://api.beta.ons.gov.uk/v1", "ons_download": "https://download.ons.gov.uk"}
SW, NOMIS, ONS = URLS["statswales"], URLS["nomis"], URLS["ons"]
SW_MAX_PAGE = 10_000  # wire-formats.md: page_size at most 10,000, and use 10,000-row pages
# wire-formats.md "Column names are display names" (en.json / cy.json → column_headers)
SW_FIXED = {"en-gb": ("Data values", "Data description", "Notes"),
            "cy-gb": ("Gwerthoedd data", "Disgrifiad o\u2019r data", "Nodiadau")}
# A full fetch measured 11,631,593 bytes (WIMD's Rank CSV: 2,499,857 per language); bounds with a margin.
TOTAL_BOUND = 13_000_000
WIMD_BOUNDS = (2.2e6, 2.8e6)


@pytest.fixture(scope="module")
def api() -> SampleApi:
    return SampleApi(URLS)


def ds(key: str):
    return catalogue()[key]


def sw_get(api: SampleApi, path: str, **params: Any) -> Response:
    query = urlencode(params)
    return api.handle("GET", f"{SW}/{path}" + (f"?{query}" if query else ""))


def sw_request_filters(d: Dataset, filters_en: list[dict[str, Any]]) -> list[dict[str, list[str]]]:
    """The catalogue's `request.filter` (measure descriptions) as API filters, read from /filters."""
    wanted = d.request.get("filter") or {}
    assert set(wanted) <= {"measure"}, f"{d.key}: teach this helper the filter {wanted}"
    if not wanted:
        return []
    entry = next(e for e in filters_en if e["columnName"] == SW_FIXED["en-gb"][1])
    refs = [v["reference"] for v in entry["values"] if v["description"] in wanted["measure"]]
    assert len(refs) == len(wanted["measure"]), (d.key, wanted)
    return [{entry["factTableColumn"]: refs}]


def statswales_answers(api: SampleApi, d: Dataset) -> list[bytes]:
    """Every body a fetch of one StatsWales dataset receives, asked as the connector asks.

    wire-formats.md / sources/connectors/statswales.py: metadata and /filters per language, the stored
    filter (raw_extended) and its query, then the data per language: one CSV, or JSON pages of 10,000.
    """
    bodies, filters = [], {}
    for lang in d.languages:
        for path in (d.dataset_id, f"{d.dataset_id}/filters"):
            answer = sw_get(api, path, lang=lang)
            assert answer.status == 200, (d.key, path, lang)
            bodies.append(answer.body)
        filters[lang] = json.loads(bodies[-1])
    body = {"filters": sw_request_filters(d, filters["en-gb"]),
            "options": {"use_raw_column_names": True, "use_reference_values": True,
                        "data_value_type": "raw_extended"}}
    created = api.handle("POST", f"{SW}/{d.dataset_id}/data", json.dumps(body).encode())
    filter_id = json.loads(created.body)["filterId"]
    query = sw_get(api, f"{d.dataset_id}/query/{filter_id}")
    bodies += [created.body, query.body]
    total = json.loads(query.body)["totalLines"]
    for lang in d.languages:
        path = f"{d.dataset_id}/data/{filter_id}"
        if d.request.get("format") == "csv":
            bodies.append(sw_get(api, path, format="csv", lang=lang).body)
            continue
        for page in range(1, math.ceil(total / SW_MAX_PAGE) + 1):
            answer = sw_get(api, path, format="json", lang=lang, page_size=SW_MAX_PAGE, page_number=page)
            assert answer.status == 200, (d.key, lang, page)
            bodies.append(answer.body)
    return bodies


def nomis_page(api: SampleApi, nm_id: str, offset: int = 0, select: str | None = None) -> Response:
    dataset = next((d for d in catalogue().values() if d.dataset_id == nm_id), None)
    select = select or ",".join(c.header("en") for c in dataset.columns)
    # The catalogue's own window: `date=latest` would be the latest period only.
    date = dataset.request["date"] if dataset else "latest"
    return api.handle("GET", f"{NOMIS}/dataset/{nm_id}.data.csv?geography=W92000004"
                             f"&date={date}&select={select}&recordOffset={offset}")


def all_responses(api: SampleApi) -> dict[str, tuple[int, str]]:
    """Bytes (count and sha256) of every answer a full fetch of the catalogue receives, per dataset."""
    answers: dict[str, list[bytes]] = defaultdict(list)
    for key, d in catalogue().items():
        if d.provider == "statswales":
            answers[key] += statswales_answers(api, d)
        elif d.provider == "nomis":
            answers[key].append(nomis_page(api, d.dataset_id).body)
        else:
            dataset = json.loads(api.handle("GET", f"{ONS}/datasets/{d.dataset_id}").body)
            version = json.loads(api.handle("GET", dataset["links"]["latest_version"]["href"]).body)
            answers[key].append(api.handle("GET", version["downloads"]["csv"]["href"]).body)
    return {key: (sum(map(len, bodies)), hashlib.sha256(b"\0".join(bodies)).hexdigest())
            for key, bodies in answers.items()}


def test_every_catalogue_dataset_is_served_with_its_catalogue_columns(api):
    """Nomis and ONS rows carry the catalogue's columns. Every catalogue StatsWales dataset is served
    (metadata and /filters in each of its languages) by the sample's own cubes, which do not read the
    catalogue: their columns are the API's (test_sample_statswales.py).
    """
    for key, d in catalogue().items():
        if d.provider == "statswales":
            for lang in d.languages:
                meta = sw_get(api, d.dataset_id, lang=lang)
                assert meta.status == 200 and json.loads(meta.body)["id"] == d.dataset_id, (key, lang)
                filters = json.loads(sw_get(api, f"{d.dataset_id}/filters", lang=lang).body)
                assert SW_FIXED[lang][1] in {e["columnName"] for e in filters}, (key, lang)
            continue
        names = {c.name for c in d.columns} - {"record_offset", "record_count"}
        rows = api.rows(key)
        assert rows, key
        assert all(set(row) == names for row in rows), key


def test_same_arguments_give_identical_bytes_and_another_seed_differs():
    one, two, other = SampleApi(URLS), SampleApi(URLS), SampleApi(URLS, seed=7)
    first, again, seven = all_responses(one), all_responses(two), all_responses(other)
    assert first == again
    for key, d in catalogue().items():
        assert first[key][1] != seven[key][1], key  # every dataset's figures come from the seed
        if d.provider != "statswales":  # StatsWales has no rows apart from its cubes' answers
            assert repr(one.rows(key)) == repr(two.rows(key)), key
    assert nomis_page(one, "NM_17_5").body == nomis_page(two, "NM_17_5").body
    assert nomis_page(one, "NM_17_5").body != nomis_page(other, "NM_17_5").body


def test_total_size_of_a_full_fetch_stays_small(api):
    sizes = {key: size for key, (size, _digest) in all_responses(api).items()}
    assert sum(sizes.values()) < TOTAL_BOUND, sizes
    wimd = ds("statswales__wimd_2025")
    assert wimd.request.get("format") == "csv"  # one CSV of the ranks per language
    assert WIMD_BOUNDS[0] < sizes[wimd.key] / len(wimd.languages) < WIMD_BOUNDS[1], sizes[wimd.key]


def test_nomis_population_is_additive_and_ons_repeats_all_ages(api):
    rows = api.rows("nomis__population_estimates")
    value = {(r["date_name"], r["geography_code"], r["gender_name"], r["c_age_name"]): r["obs_value"]
             for r in rows}
    assert {r["obs_conf"] for r in rows} == {"F"} and {r["obs_status"] for r in rows} == {"A"}
    for (year, area, gender, age), v in value.items():
        if gender == "Total":
            assert v == value[year, area, "Male", age] + value[year, area, "Female", age]
        if area == "W92000004":
            assert v == sum(x for (y, a, g, c), x in value.items()
                            if (y, g, c) == (year, gender, age) and a != "W92000004")
    sex = {"all": "Total", "male": "Male", "female": "Female"}
    ons = api.rows("ons__mid_year_pop_est")
    assert len(ons) == 5 * 23 * 3  # 2019-2023: the edition ends at 2023, Nomis goes on to 2024
    for r in ons:
        assert r["value"] == value[r["time"], r["geography_code"], sex[r["sex_code"]], "All Ages"]


def test_quirks_are_where_downstream_rules_expect_them(api):
    """Nomis: hidden APS cells (`!`) have no value, in two or three period-council pairs.

    The StatsWales quirks (missing figures, notes, Welsh letters, padded labels) are pinned in
    test_sample_statswales.py, read from the API's answers.
    """
    aps = api.rows("nomis__aps_employment")
    hidden = [r for r in aps if r["obs_status"] == "!"]
    assert hidden and all(r["obs_value"] is None for r in hidden)
    assert 2 <= len({(r["date_name"], r["geography_code"]) for r in hidden}) <= 3


def test_nomis_pages_carry_offset_and_count():
    small = SampleApi(URLS, nomis_page_size=100)
    offset, rows = 0, []
    total = len(small.rows("nomis__claimant_count"))
    while True:
        answer = nomis_page(small, "NM_162_1", offset)
        assert answer.status == 200 and answer.headers["Content-Type"] == "text/csv"
        page = list(csv.DictReader(io.StringIO(answer.body.decode(), newline="")))
        if not page:
            break
        assert len(page) <= 100
        assert {r["RECORD_OFFSET"] for r in page} == {str(offset)}
        assert {r["RECORD_COUNT"] for r in page} == {str(total)}
        rows += page
        offset += len(page)
    assert len(rows) == total == 24 * 23 * 2
    assert len({(r["DATE_NAME"], r["GEOGRAPHY_CODE"], r["MEASURE_NAME"]) for r in rows}) == total
    header_only = nomis_page(small, "NM_162_1", total + 5).body.decode()
    assert header_only.strip().splitlines() == [header_only.splitlines()[0]]


def test_nomis_quotes_strings_honours_select_and_rejects_unknowns(api):
    body = nomis_page(api, "NM_30_1", select="geography_code,obs_value,obs_conf,record_count").body.decode()
    header, first = body.splitlines()[:2]
    assert header == '"GEOGRAPHY_CODE","OBS_VALUE","OBS_CONF","RECORD_COUNT"'
    code, value, conf, count = first.split(",")
    assert code == '"W92000004"' and conf == '"F"' and float(value) > 0 and count == "828"
    assert ',,"x",' in nomis_page(api, "NM_30_1").body.decode()  # an unreliable cell: empty value
    bad = nomis_page(api, "NM_30_1", select="date_name,no_such_column")
    assert bad.status == 400 and bad.headers["Content-Type"].startswith("text/html")
    assert nomis_page(api, "NM_9999_1", select="date_name").status == 400


def test_scale_keeps_periods_and_fixed_datasets():
    # Scale grows detail, not history (tests/unit/test_sample_scale_detail.py): Nomis is fetched
    # with a filter on every dimension, so its answers are the same at any scale.
    big = SampleApi(URLS, scale=3)
    assert len(big.rows("nomis__population_estimates")) == 828
    assert len(big.rows("nomis__claimant_count")) == 1104
    wimd = ds("statswales__wimd_2025").dataset_id  # one edition at any scale: 1,917 LSOAs x 9 domains
    created = big.handle("POST", f"{SW}/{wimd}/data", b'{"filters": []}')
    query = sw_get(big, f"{wimd}/query/{json.loads(created.body)['filterId']}")
    assert json.loads(query.body)["totalLines"] == 1917 * 9 * 3  # Rank, Decile, Quintile


def test_ons_route_resolves_to_the_cmd_csv(api):
    dataset = json.loads(api.handle("GET", f"{ONS}/datasets/mid-year-pop-est").body)
    latest = dataset["links"]["latest_version"]
    assert latest["href"] == f"{ONS}/datasets/mid-year-pop-est/editions/mid-2022-england-wales/versions/3"
    version = json.loads(api.handle("GET", latest["href"]).body)
    href = version["downloads"]["csv"]["href"]
    assert href.startswith(URLS["ons_download"] + "/downloads/datasets/mid-year-pop-est/")
    answer = api.handle("GET", href)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert version["downloads"]["csv"]["size"] == str(len(answer.body))
    header = answer.body.decode().splitlines()[0]
    assert header == ("v4_0,calendar-years,Time,administrative-geography,Geography,sex,Sex,"
                      "single-year-of-age,Age")


# --- wire facts pinned to reference/wire-formats.md (Nomis, ONS API) -------------------------------

def test_ashe_request_is_full_time_median_gross_weekly_pay_by_sex():
    # NM_30_1 SEX: 8 full-time workers, 1 male full-time, 3 female full-time (9 is part-time, there
    # is no 10); ITEM 2 median; PAY 1 weekly pay, gross. SEX (the code) is selected, not just its label.
    d = ds("nomis__ashe_pay")
    request = (d.dataset_id, d.request["sex"], d.request["item"], d.request["pay"])
    assert request == ("NM_30_1", "8,1,3", "2", "1")
    headers = [c.header("en") for c in d.columns]
    assert {"SEX", "SEX_NAME"} <= set(headers) and all(h == h.upper() for h in headers)


def test_ashe_sample_sends_nomis_sex_codes_with_their_labels(api):
    requested = ds("nomis__ashe_pay").request["sex"].split(",")
    labels = {(r["sex_code"], r["sex_name"]) for r in api.rows("nomis__ashe_pay")}
    assert labels == {("8", "Full Time Workers"), ("1", "Male Full Time Workers"),
                      ("3", "Female Full Time Workers")}
    assert sorted(code for code, _ in labels) == sorted(requested)
    body = nomis_page(api, "NM_30_1", select="SEX,SEX_NAME").body.decode().splitlines()
    assert body[:2] == ['"SEX","SEX_NAME"', '"8","Full Time Workers"']  # codes are quoted strings


def test_ons_sex_codes_are_text_with_labels():
    # The CMD `sex` codes are text (all, male, female), not 0/1/2; ages are codes such as `total`.
    api = SampleApi(URLS)
    dataset = json.loads(api.handle("GET", f"{ONS}/datasets/mid-year-pop-est").body)
    version = json.loads(api.handle("GET", dataset["links"]["latest_version"]["href"]).body)
    body = api.handle("GET", version["downloads"]["csv"]["href"]).body.decode()
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert {(r["sex"], r["Sex"]) for r in rows} == {("all", "All"), ("male", "Male"), ("female", "Female")}
    assert {r["single-year-of-age"] for r in rows} == {"total"}
    assert not any(r["sex"].isdigit() for r in rows)


def test_ons_latest_version_is_the_real_edition():
    # latest_version: edition mid-2022-england-wales, version 3, released 2024-09-04, years to 2023.
    api = SampleApi(URLS)
    dataset = json.loads(api.handle("GET", f"{ONS}/datasets/mid-year-pop-est").body)
    assert dataset["links"]["latest_version"]["id"] == "3"
    version = json.loads(api.handle("GET", dataset["links"]["latest_version"]["href"]).body)
    assert (version["edition"], version["version"]) == ("mid-2022-england-wales", 3)
    assert version["release_date"].startswith("2024-09-04")
    assert max(int(r["calendar_years_code"]) for r in api.rows("ons__mid_year_pop_est")) == 2023


MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _months(label: str) -> tuple[int, int]:
    """'Apr 2024-Mar 2025' -> (first, last) as months since year 0."""
    (m1, y1), (m2, y2) = (part.split(" ") for part in label.split("-"))
    return int(y1) * 12 + MONTH_ABBR.index(m1), int(y2) * 12 + MONTH_ABBR.index(m2)


@pytest.mark.parametrize("scale", [1, 2])
def test_aps_periods_are_rolling_12_months_a_quarter_apart(scale):
    # date=latestMINUS20-latest: 21 rolling 12-month periods ('Jan 2024-Dec 2024', 'Apr 2024-Mar 2025'),
    # not calendar years; the same periods at any scale.
    assert ds("nomis__aps_employment").request["date"] == "latestMINUS20-latest"
    rows = SampleApi(URLS, scale=scale).rows("nomis__aps_employment")
    periods = list(dict.fromkeys(r["date_name"] for r in rows))
    assert len(periods) == 21
    assert periods[-3:] == ["Jan 2024-Dec 2024", "Apr 2024-Mar 2025", "Jul 2024-Jun 2025"]
    spans = [_months(p) for p in periods]
    assert all(last - first == 11 for first, last in spans)
    assert all(b[1] - a[1] == 3 for a, b in zip(spans, spans[1:], strict=False))
    assert sum(p.startswith("Jan ") for p in periods) == 5


def test_aps_wales_adds_council_numerators_and_denominators(api):
    cells = defaultdict(dict)
    for r in api.rows("nomis__aps_employment"):
        cells[r["date_name"], r["measures_name"]][r["geography_code"]] = r["obs_value"]
    assert {r["variable_name"] for r in api.rows("nomis__aps_employment")} == {"Employment rate - aged 16-64"}
    for (_period, measure), by_area in cells.items():
        assert len(by_area) == 23
        if measure in ("Numerator", "Denominator") and None not in by_area.values():  # none suppressed
            assert by_area["W92000004"] == sum(v for a, v in by_area.items() if a != "W92000004")
    for period in {p for p, _ in cells}:
        wales = {m: cells[period, m]["W92000004"] for m in ("Variable", "Numerator", "Denominator")}
        assert wales["Variable"] == round(wales["Numerator"] / wales["Denominator"] * 100, 1)


def test_unknown_routes_are_404(api):
    for url in (f"{SW}/no-such-dataset", f"{ONS}/datasets/nope", "https://example.org/elsewhere",
                f"{URLS['ons_download']}/downloads/datasets/nope/editions/mid-2022-england-wales/versions/3.csv"):
        answer = api.handle("GET", url)
        assert (answer.status, json.loads(answer.body)) == (404, {"error": "not found"}), url


def test_serve_answers_over_real_http():
    """The same answers over loopback HTTP: a StatsWales filter, its stored query and a Welsh CSV
    (wire-formats.md: Welsh fixed columns, no `Codau nodiadau`), the 400 past the last page with its
    JSON body, a Nomis CSV and a 404.
    """
    api = SampleApi(mirror_urls("http://127.0.0.1:1"))  # routing reads paths only, whatever the port
    server, root = serve(api)
    try:
        urls = mirror_urls(root)
        base = f"{urls['statswales']}/{ds('statswales__council_tax_bands').dataset_id}"
        request = urllib.request.Request(f"{base}/data", method="POST", data=b'{"filters": []}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            filter_id = json.loads(reply.read())["filterId"]
        with urllib.request.urlopen(f"{base}/query/{filter_id}", timeout=10) as reply:
            total = json.loads(reply.read())["totalLines"]
        with urllib.request.urlopen(f"{base}/data/{filter_id}?format=csv&lang=cy-gb", timeout=10) as reply:
            assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO(reply.read().decode("utf-8"), newline="")))
        assert set(SW_FIXED["cy-gb"]) <= set(rows[0]) and "Codau nodiadau" not in rows[0]
        assert len(rows) == 1 + total
        with pytest.raises(urllib.error.HTTPError) as past:
            urllib.request.urlopen(f"{base}/data/{filter_id}?format=json&page_size=10000&page_number=2",
                                   timeout=10)
        assert past.value.code == 400
        assert json.loads(past.value.read()) == {
            "error": "Page number must be less than or equal to {{page_number}}"}
        with urllib.request.urlopen(f"{urls['nomis']}/dataset/NM_2002_1.data.csv", timeout=10) as reply:
            assert reply.headers["Content-Type"] == "text/csv"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{root}/nowhere", timeout=10)
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
