"""The SAMPLE publisher APIs: wire formats, paging, consistency and determinism."""

from __future__ import annotations

import csv
import io
import json
import math
import urllib.error
import urllib.request
from collections import Counter, defaultdict

import pytest

from sources.catalogue import catalogue
from sources.sample_api import Response, SampleApi, mirror_urls, serve

URLS = {"statswales": "https://api.stats.gov.wales/v2", "nomis": "https://www.nomisweb.co.uk/api/v01",
        "ons": "https://api.beta.ons.gov.uk/v1", "ons_download": "https://download.ons.gov.uk"}
SW, NOMIS, ONS = URLS["statswales"], URLS["nomis"], URLS["ons"]
MARKERS = {"[x]", "[c]", "..", "[z]"}


@pytest.fixture(scope="module")
def api() -> SampleApi:
    return SampleApi(URLS)


def ds(key: str):
    return catalogue()[key]


def post_filter(api: SampleApi, key: str, body: dict | None = None) -> str:
    payload = body or {"filters": [], "options": {"use_raw_column_names": True,
                                                  "use_reference_values": True,
                                                  "data_value_type": "raw_extended"}}
    answer = api.handle("POST", f"{SW}/{ds(key).dataset_id}/data", json.dumps(payload).encode())
    assert answer.status == 200
    filter_id = json.loads(answer.body)["filterId"]
    assert len(filter_id) == 12 and all(ch in "0123456789abcdef" for ch in filter_id)
    return filter_id


def sw_csv(api: SampleApi, key: str, lang: str) -> list[dict[str, str]]:
    filter_id = post_filter(api, key)
    answer = api.handle("GET", f"{SW}/{ds(key).dataset_id}/data/{filter_id}?format=csv&lang={lang}")
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{ds(key).dataset_id}.csv"'
    return list(csv.DictReader(io.StringIO(answer.body.decode("utf-8"), newline="")))


def nomis_page(api: SampleApi, nm_id: str, offset: int = 0, select: str | None = None) -> Response:
    select = select or ",".join(c.header("en") for c in next(
        d for d in catalogue().values() if d.dataset_id == nm_id).columns)
    return api.handle("GET", f"{NOMIS}/dataset/{nm_id}.data.csv?geography=W92000004&date=latest"
                             f"&select={select}&recordOffset={offset}")


def all_responses(api: SampleApi) -> dict[str, int]:
    """Bytes of every answer a full fetch of the catalogue receives, per dataset."""
    sizes: dict[str, int] = defaultdict(int)
    for key, d in catalogue().items():
        if d.provider == "statswales":
            sizes[key] += len(api.handle("GET", f"{SW}/{d.dataset_id}?lang=en-gb").body)
            filter_id = post_filter(api, key)
            total = json.loads(api.handle("GET", f"{SW}/{d.dataset_id}/query/{filter_id}").body)["totalLines"]
            for lang in d.languages:
                base = f"{SW}/{d.dataset_id}/data/{filter_id}?lang={lang}"
                if d.request.get("format") == "csv":
                    sizes[key] += len(api.handle("GET", f"{base}&format=csv").body)
                    continue
                size = d.request["page_size"]
                for page in range(1, math.ceil(total / size) + 1):
                    answer = api.handle("GET", f"{base}&format=json&page_size={size}&page_number={page}")
                    sizes[key] += len(answer.body)
        elif d.provider == "nomis":
            sizes[key] += len(nomis_page(api, d.dataset_id).body)
        else:
            dataset = json.loads(api.handle("GET", f"{ONS}/datasets/{d.dataset_id}").body)
            version = json.loads(api.handle("GET", dataset["links"]["latest_version"]["href"]).body)
            sizes[key] += len(api.handle("GET", version["downloads"]["csv"]["href"]).body)
    return dict(sizes)


def test_every_catalogue_dataset_is_served_with_its_catalogue_columns(api):
    for key, d in catalogue().items():
        names = {c.name for c in d.columns} - {"record_offset", "record_count"}
        rows = api.rows(key)
        assert rows, key
        assert all(set(row) == names for row in rows), key


def test_same_arguments_give_identical_bytes_and_another_seed_differs():
    one, two, other = SampleApi(URLS), SampleApi(URLS), SampleApi(URLS, seed=7)
    assert all_responses(one) == all_responses(two)
    for key in catalogue():
        assert repr(one.rows(key)) == repr(two.rows(key)), key
    assert sw_csv(one, "statswales__wimd_2025", "en-gb") == sw_csv(two, "statswales__wimd_2025", "en-gb")
    assert nomis_page(one, "NM_17_5").body == nomis_page(two, "NM_17_5").body
    assert nomis_page(one, "NM_17_5").body != nomis_page(other, "NM_17_5").body


def test_total_size_of_a_full_fetch_stays_small(api):
    sizes = all_responses(api)
    assert sum(sizes.values()) < 6_000_000, sizes
    assert 0.7e6 < sizes["statswales__wimd_2025"] / 2 < 1.5e6  # one CSV per language


@pytest.mark.parametrize("key, total_code, part_code", [
    ("statswales__municipal_waste", "TOT", "RRC"),
    ("statswales__homelessness_prevention", "THR", "PRV")])
def test_wales_is_the_sum_of_councils_and_its_percentage_comes_from_the_sums(api, key, total_code, part_code):
    cells = defaultdict(dict)
    for row in sw_csv(api, key, "en-gb"):
        cells[row["Year"], row["Measure code"]][row["Area code"]] = row["Data values"]
    years = {year for year, _ in cells}
    assert len(years) >= 6 and "2023-24" in years
    for (_year, code), by_area in cells.items():
        assert len(by_area) == 23
        if code in (total_code, part_code):
            councils = [float(v) for a, v in by_area.items() if a != "W92000004" and v not in MARKERS]
            assert float(by_area["W92000004"]) == sum(councils)
    for year in years:
        wales = {code: float(cells[year, code]["W92000004"]) for code in (total_code, part_code, "PCT")}
        assert wales["PCT"] == round(wales[part_code] / wales[total_code] * 100, 1)
        assert 55 <= wales["PCT"] <= 75


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
    sex = {"0": "Total", "1": "Male", "2": "Female"}
    ons = api.rows("ons__mid_year_pop_est")
    assert len(ons) == 6 * 23 * 3
    for r in ons:
        assert r["value"] == value[r["time"], r["geography_code"], sex[r["sex_code"]], "All Ages"]


def test_wimd_ranks_are_permutations_over_1917_lsoas(api):
    rows = sw_csv(api, "statswales__wimd_2025", "en-gb")
    lsoas = {r["Area code"] for r in rows}
    assert len(lsoas) == 1917 and min(lsoas) == "W01000001"
    ranks = defaultdict(list)
    for r in rows:
        ranks[r["Domain code"]].append(int(r["Data values"]))
    assert len(ranks) == 9
    for domain, values in ranks.items():
        assert sorted(values) == list(range(1, 1918)), domain
    per_council = Counter(r["Area hierarchy"] for r in rows if r["Domain code"] == "WIMD")
    assert len(per_council) == 22 and per_council.most_common(1)[0][0] == "W06000015"  # Cardiff
    welsh = sw_csv(api, "statswales__wimd_2025", "cy-gb")
    assert [r["Cod ardal"] for r in welsh] == [r["Area code"] for r in rows]
    assert welsh[0]["Enw ardal"] == "Ynys Môn 001A" and welsh[0]["Disgrifiad o’r data"] == "Safle"


def test_both_languages_have_the_same_rows_codes_and_values(api):
    for key, d in catalogue().items():
        if d.provider != "statswales":
            continue
        en, cy = sw_csv(api, key, "en-gb"), sw_csv(api, key, "cy-gb")
        assert list(en[0]) == [c.header("en") for c in d.columns]
        assert list(cy[0]) == [c.header("cy") for c in d.columns]
        for col in d.columns:
            if col.key or col.name in ("value", "note_codes"):
                assert [r[col.header("en")] for r in en] == [r[col.header("cy")] for r in cy], (key, col)


def test_json_pages_run_short_at_the_end_and_then_fail_with_page_number_too_high(api):
    d = ds("statswales__municipal_waste")
    filter_id = post_filter(api, d.key)
    assert filter_id == post_filter(api, d.key)  # deterministic
    total = json.loads(api.handle("GET", f"{SW}/{d.dataset_id}/query/{filter_id}").body)["totalLines"]
    assert total == 6 * 23 * 3
    url = f"{SW}/{d.dataset_id}/data/{filter_id}?format=json&lang=cy-gb&page_size=100"
    pages = math.ceil(total / 100)
    seen = []
    for page in range(1, pages + 1):
        answer = api.handle("GET", f"{url}&page_number={page}")
        assert answer.status == 200 and answer.headers["Content-Type"].startswith("application/json")
        seen += json.loads(answer.body)
    assert len(seen) == total and len(json.loads(api.handle("GET", f"{url}&page_number={pages}").body)) == 14
    assert set(seen[0]) == {c.header("cy") for c in d.columns}
    assert all(isinstance(r["Gwerthoedd data"], int | float) for r in seen)
    past = api.handle("GET", f"{url}&page_number={pages + 1}")
    assert past.status == 400
    assert json.loads(past.body)["errors"][0] == {"message": "errors.page_number_too_high",
                                                  "field": "page_number"}
    assert api.handle("GET", f"{url}&page_number=1".replace("page_size=100", "page_size=10001")).status == 400
    assert api.handle("GET", f"{SW}/{d.dataset_id}/data/{filter_id}?lang=en-gb").status == 400
    assert api.handle("GET", f"{SW}/{d.dataset_id}/data/ffffffffffff?format=json").status == 404
    assert api.handle("GET", f"{SW}/{d.dataset_id}/query/ffffffffffff").status == 404


def test_statswales_metadata_is_labelled_sample(api):
    d = ds("statswales__revenue_outturn")
    meta = json.loads(api.handle("GET", f"{SW}/{d.dataset_id}?lang=cy-gb").body)
    assert meta["id"] == d.dataset_id and meta["archived_at"] is None and meta["replaced_by"] is None
    by_lang = {m["language"]: m for m in meta["published_revision"]["metadata"]}
    assert by_lang["cy-GB"]["title"] == d.title_cy and by_lang["en-GB"]["summary"].startswith("SAMPLE")


def test_quirks_are_where_downstream_rules_expect_them(api):
    seen_markers = set()
    for key in ("statswales__homelessness_prevention", "statswales__revenue_outturn"):
        rows = api.rows(key)
        years = sorted({r["year"] for r in rows})
        for r in rows:
            if isinstance(r["value"], str):
                seen_markers.add(r["value"])
                assert r["year"] == years[0] and r["area_code"] != "W92000004"
    assert seen_markers == MARKERS
    for key in ("statswales__municipal_waste", "statswales__council_tax_bands", "statswales__wimd_2025"):
        assert not any(isinstance(r["value"], str) for r in api.rows(key)), key
    waste = api.rows("statswales__municipal_waste")
    latest = max(r["year"] for r in waste)
    assert {r["note_codes"] for r in waste if r["year"] == latest} == {"p"}
    assert "r" in {r["note_codes"] for r in waste}
    welsh = "".join(value for key in ("statswales__revenue_outturn", "statswales__council_tax_bands")
                    for row in sw_csv(api, key, "cy-gb") for value in row.values())
    assert {"ŵ", "ŷ", "ô"} <= set(welsh)
    names = {r["Area"] for r in sw_csv(api, "statswales__municipal_waste", "en-gb")}
    assert any(n != n.strip() for n in names)
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


def test_scale_multiplies_periods():
    big = SampleApi(URLS, scale=3)
    assert len(big.rows("nomis__population_estimates")) == 3 * 828
    assert len(big.rows("nomis__claimant_count")) == 3 * 1104
    assert len(big.rows("statswales__wimd_2025")) == 1917 * 9


def test_ons_route_resolves_to_the_cmd_csv(api):
    dataset = json.loads(api.handle("GET", f"{ONS}/datasets/mid-year-pop-est").body)
    latest = dataset["links"]["latest_version"]
    assert latest["href"] == f"{ONS}/datasets/mid-year-pop-est/editions/time-series/versions/4"
    version = json.loads(api.handle("GET", latest["href"]).body)
    href = version["downloads"]["csv"]["href"]
    assert href.startswith(URLS["ons_download"] + "/downloads/datasets/mid-year-pop-est/")
    answer = api.handle("GET", href)
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert version["downloads"]["csv"]["size"] == str(len(answer.body))
    header = answer.body.decode().splitlines()[0]
    assert header == ("v4_0,calendar-years,Time,administrative-geography,Geography,sex,Sex,"
                      "single-year-of-age,Age")


def test_unknown_routes_are_404(api):
    for url in (f"{SW}/no-such-dataset", f"{ONS}/datasets/nope", "https://example.org/elsewhere",
                f"{URLS['ons_download']}/downloads/datasets/nope/editions/time-series/versions/4.csv"):
        answer = api.handle("GET", url)
        assert (answer.status, json.loads(answer.body)) == (404, {"error": "not found"}), url


def test_serve_answers_over_real_http():
    api = SampleApi(mirror_urls("http://127.0.0.1:1"))  # routing reads paths only, whatever the port
    server, root = serve(api)
    try:
        urls = mirror_urls(root)
        d = ds("statswales__council_tax_bands")
        request = urllib.request.Request(
            f"{urls['statswales']}/{d.dataset_id}/data", method="POST", data=b'{"filters": []}',
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            filter_id = json.loads(reply.read())["filterId"]
        with urllib.request.urlopen(f"{urls['statswales']}/{d.dataset_id}/data/{filter_id}"
                                    "?format=csv&lang=cy-gb", timeout=10) as reply:
            assert reply.status == 200
            assert reply.read().decode("utf-8").startswith("Blwyddyn,Cod ardal,Ardal,Cod band")
        with urllib.request.urlopen(f"{urls['nomis']}/dataset/NM_2002_1.data.csv", timeout=10) as reply:
            assert reply.headers["Content-Type"] == "text/csv"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{root}/nowhere", timeout=10)
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
