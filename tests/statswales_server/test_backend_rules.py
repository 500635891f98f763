"""Pins the StatsWales double to wire-formats.md and the backend source (statswales-backend 25ea7888).

Backend paths are relative to its ``src``; "wf" is reference/wire-formats.md.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

from statswales_server.backend import Cube, Dimension, Measure, RateLimit, StatsWalesServer, Value, serve
from statswales_server.wimd import DOMAINS, WIMD_DATASET_ID, WIMD_TITLE, build_wimd_cube, read_councils

DS = WIMD_DATASET_ID
TINY = "1c0ffee0-0000-4000-8000-000000000001"
N_LSOAS = 44
EN = ["Area code", "Area name", "Domain"]
CY = ["Cod ardal", "Enw ardal", "Parth"]
HEAD = {  # column_headers of en.json L130-143 / cy.json L127-140
    "en": {
        "dv": "Data values",
        "m": "Data description",
        "notes": "Notes",
        "sfx": ("reference", "sort", "hierarchy"),
    },
    "cy": {
        "dv": "Gwerthoedd data",
        "m": "Disgrifiad o\u2019r data",
        "notes": "Nodiadau",
        "sfx": ("cyfeiriad", "didoli", "hierarchiaeth"),
    },
}


def tiny_cube(area_name: dict[str, str] | None = None) -> Cube:
    """Two dimensions, two measures, notes and a missing figure."""
    area = Dimension(
        "AreaCode",
        area_name if area_name is not None else {"en": "Area", "cy": "Ardal"},
        [
            Value("W92000004", {"en": "Wales", "cy": "Cymru"}, sort_order=1),
            Value("W06000015", {"en": "Cardiff", "cy": "Caerdydd"}, parent="W92000004", sort_order=2),
            Value(
                "W06000001", {"en": "Isle of Anglesey", "cy": "Ynys Môn"}, parent="W92000004", sort_order=3
            ),
        ],
    )
    year = Dimension(
        "YearCode", {"en": "Year", "cy": "Blwyddyn"}, [Value("2025", {"en": "2025", "cy": "2025"})]
    )
    measure = Measure(
        "Measure",
        [
            Value("71", {"en": "£ thousand", "cy": "£ mil"}, sort_order=1, fmt="decimal", decimals=1),
            Value("72", {"en": "Count", "cy": "Cyfrif"}, sort_order=2, fmt="integer"),
        ],
    )
    facts = [
        {"AreaCode": "W06000015", "YearCode": "2025", "Measure": "71", "value": 1234567.25, "notes": "c,p"},
        {"AreaCode": "W06000001", "YearCode": "2025", "Measure": "71", "value": None, "notes": "x"},
        {"AreaCode": "W06000015", "YearCode": "2025", "Measure": "72", "value": -5, "notes": "r,p"},
        {"AreaCode": "W06000001", "YearCode": "2025", "Measure": "72", "value": 12, "notes": None},
    ]
    return Cube(TINY, {"en": "Tiny", "cy": "Bach"}, [area, year], measure, facts)


@pytest.fixture(scope="module")
def api() -> Iterator[StatsWalesServer]:
    with serve(build_wimd_cube(N_LSOAS), tiny_cube()) as server:
        yield server


@pytest.fixture
def fresh() -> Iterator[StatsWalesServer]:
    with serve(build_wimd_cube(N_LSOAS), tiny_cube()) as server:
        yield server


def get(api: StatsWalesServer, path: str, **params: object) -> requests.Response:
    return requests.get(f"{api.base_url}{path}", params=params, timeout=10)


def post_filter(api: StatsWalesServer, dataset: str, body: object) -> requests.Response:
    return requests.post(f"{api.base_url}/{dataset}/data", json=body, timeout=10)


def csv_rows(response: requests.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def data(
    api: StatsWalesServer, dataset: str, view: str = "raw", filters: list | None = None, **params: object
):
    fid = post_filter(api, dataset, {"filters": filters or [], "options": {"data_value_type": view}}).json()[
        "filterId"
    ]
    return get(api, f"/{dataset}/data/{fid}", **params)


def expected_columns(view: str, lang: str, dims: list[str]) -> list[str]:
    """wf table "Column names are display names"; cube-builder.ts setupDataValueViews L1136-1156,
    setupMeasureViews L1158-1178, setupLookupTableDimension L1677-1688, createNotesTable L2283-2291."""
    h = HEAD[lang]
    extended = view.endswith("_extended")
    cols = [h["dv"]] + ([f"{h['dv']}_{h['sfx'][1]}"] if extended else [])
    for name in [h["m"], *dims]:
        cols += [name] + ([f"{name}_{s}" for s in h["sfx"]] if extended else [])
    return cols + ([] if view == "with_note_codes" else [h["notes"]])


# ----------------------------------------------------------------- column names -----------------


@pytest.mark.parametrize(
    "view", ["raw", "raw_extended", "formatted", "formatted_extended", "with_note_codes"]
)
@pytest.mark.parametrize("lang", ["en", "cy"])
def test_csv_headers_per_view_and_language(api, view, lang):
    response = data(api, DS, view, format="csv", lang=f"{lang}-gb")
    header = csv_rows(response)[0]
    assert header == expected_columns(view, lang, EN if lang == "en" else CY)
    assert "Note codes" not in header and "Codau nodiadau" not in header  # wf: no view emits it


def test_default_view_is_raw_and_options_never_rename_columns(api):
    """use_raw_column_names / use_reference_values only read filters (utils/consumer.ts L296-330)."""
    plain = csv_rows(get(api, f"/{DS}/data", format="csv"))[0]
    for options in ({"use_raw_column_names": False}, {"use_reference_values": False}, {}):
        fid = post_filter(api, DS, {"options": options}).json()["filterId"]
        assert csv_rows(get(api, f"/{DS}/data/{fid}", format="csv"))[0] == plain
    assert plain == expected_columns("raw", "en", EN)


def test_json_pages_carry_the_default_sort_columns(api):
    """buildDataQuery's offset path appends the sort plan's `_sort` columns to the SELECT when
    missing (consumer-view-v2.ts L585-591) and sendJson sends rows as they come (L168-175)."""
    rows = get(api, f"/{DS}/data", format="json", page_size=5).json()
    extra = ["Area code_sort", "Area name_sort", "Domain_sort", "Data description_sort"]
    assert list(rows[0]) == expected_columns("raw", "en", EN) + extra
    assert all(isinstance(row["Area code_sort"], str) for row in rows)  # BIGINT via node-postgres
    cy = data(api, DS, "raw", format="json", lang="cy-gb", page_size=5).json()
    assert list(cy[0])[-4:] == [
        "Cod ardal_didoli",
        "Enw ardal_didoli",
        "Parth_didoli",
        "Disgrifiad o\u2019r data_didoli",
    ]
    extended = data(api, DS, "raw_extended", format="json", page_size=5).json()
    assert list(extended[0]) == expected_columns("raw_extended", "en", EN)


def test_json_framing_and_headers(api):
    """sendJson: `[` + rows joined by `,\\n` + `]` (consumer-view-v2.ts L162-177)."""
    response = get(api, f"/{DS}/data", format="json", page_size=3)
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Disposition"] == f"attachment;filename={DS}.json"
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert response.text.startswith("[{") and response.text.endswith("}]")
    assert response.text.count("},\n{") == 2
    assert get(api, f"/{DS}/data", format="json", page_size=3).text == response.text


def test_display_name_clashes_get_numbered_suffixes():
    """updateColumnName (cube-builder.ts L1625-1633); the filter table keeps the bare metadata name."""
    cube = tiny_cube({"en": "Data description", "cy": "Ardal"})
    cube.dimensions[1].name = {"en": "Data description", "cy": "Ardal"}
    with serve(cube) as api:
        header = csv_rows(get(api, f"/{TINY}/data", format="csv"))[0]
        assert header[:4] == ["Data values", "Data description", "Data description_1", "Data description_2"]
        cy = csv_rows(get(api, f"/{TINY}/data", format="csv", lang="cy-gb"))[0]
        assert cy[2:4] == ["Ardal", "Ardal_1"]
        names = [f["columnName"] for f in get(api, f"/{TINY}/filters").json()]
        assert names == ["Data description", "Data description", "Data description"]


def test_missing_metadata_name_falls_back_to_the_fact_table_column():
    with serve(tiny_cube({"cy": "Ardal"})) as api:
        assert csv_rows(get(api, f"/{TINY}/data", format="csv"))[0][2] == "AreaCode"
        assert csv_rows(get(api, f"/{TINY}/data", format="csv", lang="cy"))[0][2] == "Ardal"


# ----------------------------------------------------------------- values and notes -------------


def test_notes_are_descriptions_in_the_request_language(api):
    """all_notes: string_agg(DISTINCT description, ', ') (cube-builder.ts L2268-2281)."""
    en = get(api, f"/{TINY}/data", format="json").json()
    cy = get(api, f"/{TINY}/data", format="json", lang="cy-gb").json()
    by_value = {row["Data values"]: row["Notes"] for row in en}
    assert by_value[1234567.25] == "Confidential, Provisional"
    assert by_value[-5] == "Provisional, Revised"  # 'r,p' sorted by description
    assert by_value[12] is None
    assert {row["Gwerthoedd data"]: row["Nodiadau"] for row in cy}[1234567.25] == "Amodol, Cyfrinachol"


def test_missing_figure_is_null_with_reason_in_notes(api):
    rows = get(api, f"/{TINY}/data", format="json").json()
    missing = [r for r in rows if r["Area"] == "Isle of Anglesey" and r["Data description"] == "£ thousand"]
    assert missing[0]["Data values"] is None and missing[0]["Notes"] == "Not available"
    cy = get(api, f"/{TINY}/data", format="json", lang="cy").json()
    assert [r["Nodiadau"] for r in cy if r["Gwerthoedd data"] is None] == ["Ddim ar gael"]


def test_formatted_and_note_code_values(api):
    """Measure formats (cube-builder.ts L1362-1444): TO_CHAR pads; with_note_codes appends ' [code]'
    per lower-cased code (L1462-1478); a NULL formats as ''."""
    formatted = {
        (r["Area"], r["Data description"]): r["Data values"]
        for r in data(api, TINY, "formatted", format="json").json()
    }
    assert formatted[("Cardiff", "£ thousand")] == "   1,234,567.3"
    assert formatted[("Cardiff", "Count")] == "          -5"
    assert formatted[("Isle of Anglesey", "£ thousand")] == ""
    noted = {
        (r["Area"], r["Data description"]): r["Data values"]
        for r in data(api, TINY, "with_note_codes", format="json").json()
    }
    assert noted[("Cardiff", "£ thousand")] == "   1,234,567.3 [c] [p]"
    assert noted[("Cardiff", "Count")] == "          -5 [r] [p]"
    assert noted[("Isle of Anglesey", "£ thousand")] == " [x]"
    assert noted[("Isle of Anglesey", "Count")] == "          12"


# ----------------------------------------------------------------- filters and query store ------


def test_filters_hierarchy_and_measure(api):
    """transformHierarchy (utils/consumer.ts L21-71): roots are values that are no one's child."""
    filters = get(api, f"/{DS}/filters", lang="en-gb").json()
    assert [(f["factTableColumn"], f["columnName"]) for f in filters] == [
        ("AreaCode", "Area code"),
        ("AreaName", "Area name"),
        ("Domain", "Domain"),
        ("Measure", "Data description"),
    ]
    areas = filters[0]["values"]
    councils = read_councils()
    assert [(v["reference"], v["description"]) for v in areas] == [(c[0], c[1]) for c in councils]
    assert sum(len(v["children"]) for v in areas) == N_LSOAS
    assert all(v["count"] == "0" for v in areas) and areas[0]["children"][0]["count"] == "27"
    assert [v["description"] for v in filters[3]["values"]] == ["Rank", "Decile", "Quintile"]
    cy = get(api, f"/{DS}/filters", lang="cy-gb").json()
    assert [f["columnName"] for f in cy] == [*CY, "Disgrifiad o\u2019r data"]
    assert cy[0]["values"][0]["description"] == "Ynys Môn"


def test_column_mapping_and_query_store(api):
    """QueryStoreDto (dtos/query-store-dto.ts); columnMapping = DISTINCT over filter_table."""
    body = {"filters": [{"Measure": ["502"]}], "options": {"data_value_type": "raw"}}
    fid = post_filter(api, DS, body).json()["filterId"]
    assert post_filter(api, DS, body).json()["filterId"] == fid  # same body, same id
    stored = get(api, f"/{DS}/query/{fid}").json()
    assert list(stored) == [
        "id",
        "hash",
        "datasetId",
        "revisionId",
        "requestObject",
        "query",
        "totalLines",
        "columnMapping",
        "createdAt",
        "updatedAt",
    ]
    assert stored["totalLines"] == N_LSOAS * len(DOMAINS)
    assert stored["requestObject"] == body and list(stored["query"]) == ["cy-GB", "en-GB"]
    mapping = {(m["fact_table_column"], m["dimension_name"], m["language"]) for m in stored["columnMapping"]}
    assert mapping == {
        *((c, n, "en-gb") for c, n in zip(["AreaCode", "AreaName", "Domain"], EN, strict=True)),
        *((c, n, "cy-gb") for c, n in zip(["AreaCode", "AreaName", "Domain"], CY, strict=True)),
        ("Measure", "Data description", "en-gb"),
        ("Measure", "Disgrifiad o\u2019r data", "cy-gb"),
    }


def test_unfiltered_data_uses_the_default_options_entry(api):
    """GET /{id}/data stores DEFAULT_DATA_OPTIONS (dtos/data-options-dto.ts L63-70)."""
    default = {
        "filters": [],
        "options": {"use_raw_column_names": True, "use_reference_values": True, "data_value_type": "raw"},
    }
    fid = post_filter(api, DS, default).json()["filterId"]
    assert get(api, f"/{DS}/query/").json()["id"] == fid


def test_filter_by_measure_reference(api):
    rows = csv_rows(data(api, DS, "raw", filters=[{"Measure": ["502"]}], format="csv"))
    assert {r[1] for r in rows[1:]} == {"Decile"} and len(rows) - 1 == N_LSOAS * len(DOMAINS)
    assert {int(r[0]) for r in rows[1:]} <= set(range(1, 11))


def test_filters_by_display_name_or_description_fail_like_the_backend():
    """createBaseQuery (utils/consumer.ts L315-327): a display-name key is turned into the fact-table
    column + `_reference`, a column the view lacks, unless the dimension has no metadata name."""
    with serve(build_wimd_cube(N_LSOAS), tiny_cube({})) as api:
        by_name = {"filters": [{"Area code": ["W01000001"]}], "options": {"use_raw_column_names": False}}
        assert post_filter(api, DS, by_name).status_code == 500
        by_text = {
            "filters": [{"AreaName": ["Isle of Anglesey 001A"]}],
            "options": {"use_reference_values": False},
        }
        assert post_filter(api, DS, by_text).json() == {"error": "An unknown error occurred"}
        # both locales' queries are built at POST (query-store.ts L67-80): the Welsh name breaks it too
        assert post_filter(api, DS, {**by_text, "filters": [{"Domain": ["Income"]}]}).status_code == 500
        nameless = {"filters": [{"AreaCode": ["caerdydd"]}], "options": {"use_reference_values": False}}
        fid = post_filter(api, TINY, nameless).json()["filterId"]  # works only without metadata names
        assert get(api, f"/{TINY}/query/{fid}").json()["totalLines"] == 2
        fallback = {"filters": [{"AreaCode": ["W06000015"]}], "options": {"use_raw_column_names": False}}
        fid = post_filter(api, TINY, fallback).json()["filterId"]
        assert get(api, f"/{TINY}/query/{fid}").json()["totalLines"] == 2
        assert post_filter(api, DS, {"filters": [{"Nope": ["x"]}]}).status_code == 500


def test_filter_on_a_parent_matches_only_its_own_rows(api):
    """`"Area code_reference" in (…)`: a council's LSOAs are not included."""
    fid = post_filter(api, DS, {"filters": [{"AreaCode": ["W06000001"]}]}).json()["filterId"]
    assert get(api, f"/{DS}/query/{fid}").json()["totalLines"] == 0
    assert get(api, f"/{DS}/data/{fid}", format="json").text == "[]"
    assert get(api, f"/{DS}/data/{fid}", format="csv").text == "\n"


def test_invalid_body_is_a_400_with_reasons(api):
    response = post_filter(api, DS, {"filters": "x", "options": {"data_value_type": "bogus"}})
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid request object"
    assert [p["property"] for p in response.json()["reason"]] == ["filters", "options"]


# ----------------------------------------------------------------- paging and errors ------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en-gb", "Page number must be less than or equal to {{page_number}}"),
        ("cy-gb", "Rhaid i rif y dudalen fod yn llai na {{page_number}} neu\u2019n {{page_number}} tudalen"),
    ],
)
def test_page_past_the_end(api, lang, text):
    """consumer-view-v2.ts L577-580; error-handler.ts L12-20 translates the key."""
    last = math.ceil(N_LSOAS * len(DOMAINS) * 3 / 500)
    assert get(api, f"/{DS}/data", format="json", page_size=500, page_number=last).status_code == 200
    response = get(api, f"/{DS}/data", format="json", page_size=500, page_number=last + 1, lang=lang)
    assert response.status_code == 400
    assert response.json() == {"error": text}
    assert "page_number_too_high" not in response.text


def test_page_size_cap_applies_to_json_only(api):
    """parsePageOptions (utils/parse-page-options.ts L47-49): download formats are exempt."""
    too_big = get(api, f"/{DS}/data", format="json", page_size=10001)
    assert too_big.status_code == 400 and too_big.json() == {"error": "An unknown error occurred"}
    assert get(api, f"/{DS}/data", format="json", page_size=10000).status_code == 200
    assert get(api, f"/{DS}/data", format="csv", page_size=10001).status_code == 200


def test_pages_partition_the_rows(api):
    size, total = 250, N_LSOAS * len(DOMAINS) * 3
    seen = []
    for number in range(1, math.ceil(total / size) + 1):
        seen += [
            tuple(r.values())
            for r in get(api, f"/{DS}/data", format="json", page_size=size, page_number=number).json()
        ]
    assert len(seen) == len(set(seen)) == total


def test_csv_streams_the_whole_dataset_without_page_size(api):
    response = get(api, f"/{DS}/data", format="csv", page_number=7)
    assert response.headers["Content-Type"] == "text/csv"
    assert response.headers["Content-Disposition"] == f"attachment;filename={DS}.csv"
    rows = csv_rows(response)
    assert len(rows) - 1 == N_LSOAS * len(DOMAINS) * 3 and not response.text.endswith("\n")
    assert rows[1][1] == "Rank"  # core view order: measure sort order first (cube-builder.ts L1527)
    paged = csv_rows(get(api, f"/{DS}/data", format="csv", page_size=10))
    assert paged[0][-1] == "Data description_sort" and len(paged) == 11


def test_dataset_and_filter_errors(api):
    """ensurePublishedDataset (api.ts L29-62); error bodies per error-handler.ts."""
    missing = "2b6c1f0e-1111-4222-8333-444455556666"
    assert get(api, f"/{missing}").json() == {"error": "Dataset could not be found"}
    assert get(api, f"/{missing}/filters", lang="cy").json() == {"error": "Set ddata heb ei chanfod"}
    assert get(api, "/not-a-uuid/data", format="json").json() == {"error": "Dataset id is invalid or missing"}
    assert get(api, f"/{DS}/data/zzzzzzzzzzzz", format="json").status_code == 404
    no_format = get(api, f"/{DS}/data", lang="cy-gb")
    assert no_format.status_code == 400 and no_format.json() == {"error": "Mae angen darparu fformat allbwn"}


def test_negative_offset_breaks_json_mid_stream_and_csv_with_500(api):
    """A SQL error after sendJson wrote `[` leaves the response unfinished (consumer-v2.ts L171-175)."""
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(api, f"/{DS}/data", format="json", page_number=0)
    response = get(api, f"/{DS}/data", format="csv", page_number=0, page_size=10)
    assert response.status_code == 500 and response.content == b""


def test_language_from_accept_language_and_lang_query(api):
    """i18next detection order: querystring `lang`, then the Accept-Language header."""
    welsh = requests.get(
        f"{api.base_url}/{DS}/filters", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.8"}
    )
    assert welsh.json()[0]["columnName"] == "Cod ardal"
    english = requests.get(f"{api.base_url}/{DS}/filters?lang=en", headers={"Accept-Language": "cy"})
    assert english.json()[0]["columnName"] == "Area code"
    assert welsh.headers["Vary"] == "Accept-Language"


def test_dataset_metadata(api):
    """ConsumerDatasetDTO without dimensions or revisions (consumer-v2.ts L81-94)."""
    meta = get(api, f"/{DS}", lang="cy").json()
    assert meta["id"] == DS and "dimensions" not in meta and "revisions" not in meta
    titles = {m["language"]: m["title"] for m in meta["published_revision"]["metadata"]}
    assert titles == {"en-GB": WIMD_TITLE["en"], "cy-GB": WIMD_TITLE["cy"]}
    assert "test fixture" in titles["cy-GB"]


# ----------------------------------------------------------------- faults, limits, drift --------


def test_fault_429_then_recovery(fresh):
    fresh.fail("/*/filters", "429", times=2, retry_after=7)
    for _ in range(2):
        response = get(fresh, f"/{DS}/filters")
        assert response.status_code == 429 and response.headers["Retry-After"] == "7"
        assert response.headers["RateLimit-Remaining"] == "0" and "RateLimit-Limit" in response.headers
        assert response.json() == {"message": "Too many requests, please try again later."}
    assert get(fresh, f"/{DS}/filters").status_code == 200
    assert get(fresh, f"/{DS}").status_code == 200  # pattern did not match


@pytest.mark.parametrize("kind", ["500", "503"])
def test_fault_server_errors(fresh, kind):
    fresh.fail(f"/{DS}", kind, method="GET")
    response = get(fresh, f"/{DS}", lang="cy")
    assert response.status_code == int(kind) and response.json() == {
        "error": "Mae gwall anhysbys wedi digwydd"
    }


def test_fault_slow(fresh):
    fresh.fail("*/data", "slow", delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{fresh.base_url}/{DS}/data", params={"format": "json"}, timeout=0.2)
    assert get(fresh, f"/{DS}/data", format="json").status_code == 200


def test_fault_truncate(fresh):
    fresh.fail("*/filters", "truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(fresh, f"/{DS}/filters")
    assert get(fresh, f"/{DS}/filters").status_code == 200


def test_fault_cut_json(fresh):
    fresh.fail("*/data/*", "cut_json")
    fid = post_filter(fresh, DS, {}).json()["filterId"]
    response = get(fresh, f"/{DS}/data/{fid}", format="json")
    assert response.status_code == 200 and int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()


def test_fault_drop(fresh):
    fresh.fail("*", "drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        get(fresh, f"/{DS}")
    assert get(fresh, f"/{DS}").status_code == 200


def test_rate_limit_per_client():
    with serve(tiny_cube(), rate_limit=RateLimit(limit=3, window=60)) as api:
        remaining = [get(api, f"/{TINY}").headers["RateLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        over = get(api, f"/{TINY}")
        assert over.status_code == 429 and 0 < int(over.headers["Retry-After"]) <= 60
        other = requests.get(f"{api.base_url}/{TINY}", headers={"X-Forwarded-For": "10.0.0.9"})
        assert other.status_code == 200


def test_rename_column_changes_data_output_only(fresh):
    fresh.rename_column(DS, "en", "Area name", "LSOA name")
    header = csv_rows(data(fresh, DS, "raw_extended", format="csv"))[0]
    assert "LSOA name" in header and "LSOA name_sort" in header and "Area name" not in header
    assert [f["columnName"] for f in get(fresh, f"/{DS}/filters").json()][1] == "Area name"
    assert "Enw ardal" in csv_rows(get(fresh, f"/{DS}/data", format="csv", lang="cy"))[0]


def test_set_dimension_name_changes_everything(fresh):
    fid = post_filter(fresh, DS, {"filters": [{"Domain": ["D01"]}]}).json()["filterId"]
    fresh.set_dimension_name(DS, "Domain", "en", "Deprivation domain")
    assert [f["columnName"] for f in get(fresh, f"/{DS}/filters").json()][2] == "Deprivation domain"
    stored = get(fresh, f"/{DS}/query/{fid}").json()
    assert ("Domain", "Deprivation domain", "en-gb") in {
        tuple(m.values())[::-1] for m in stored["columnMapping"]
    }
    assert "Deprivation domain" in get(fresh, f"/{DS}/data/{fid}", format="json").json()[0]


def test_requests_are_recorded(fresh):
    post_filter(fresh, DS, {"filters": [{"Measure": ["501"]}]})
    get(fresh, f"/{DS}/filters", lang="cy-gb")
    post, filters = fresh.requests[-2:]
    assert (post.method, post.path, post.body) == (
        "POST",
        f"/v2/{DS}/data",
        {"filters": [{"Measure": ["501"]}]},
    )
    assert (filters.method, filters.query) == ("GET", {"lang": ["cy-gb"]})


# ----------------------------------------------------------------- the WIMD builder -------------


def test_wimd_builder_shape_and_ties():
    cube = build_wimd_cube()
    area = cube.dimension("AreaCode")
    roots = [v for v in area.values if v.parent is None]
    assert len(roots) == 22 and sum(v.parent is not None for v in area.values) == 1917
    assert {v.reference for v in roots} == {f"W06{n:06d}" for n in range(1, 25)} - {"W06000007", "W06000017"}
    assert [d.name["en"] for d in cube.dimensions] == EN and not {"INC", "EMP"} & {
        v.reference for v in cube.dimension("Domain").values
    }
    for ref, _, _ in DOMAINS:
        ranks = sorted(f["value"] for f in cube.facts if f["Domain"] == ref and f["Measure"] == "501")
        counts = Counter(ranks)
        tied = [r for r, c in counts.items() if c == 2]
        assert tied and all(r + 1 not in counts for r in tied)  # competition ranking skips a rank
        assert ranks[-1] <= 1917 and len(ranks) == 1917
    by_key = {(f["AreaCode"], f["Domain"], f["Measure"]): f["value"] for f in cube.facts}
    for (area_ref, dom, m), rank in by_key.items():
        if m == "501":
            assert by_key[(area_ref, dom, "502")] == math.ceil(rank * 10 / 1917)
            assert by_key[(area_ref, dom, "503")] == math.ceil(rank * 5 / 1917)
    assert 0 < sum(f["notes"] is not None for f in cube.facts) < 10
    assert build_wimd_cube().facts == cube.facts  # deterministic


def test_a_stored_query_that_no_longer_builds_is_removed():
    """rebuildQueriesForDataset removes entries that fail to regenerate (query-store.ts L269-279)."""
    with serve(tiny_cube({})) as api:
        body = {"filters": [{"AreaCode": ["W06000015"]}], "options": {"use_raw_column_names": False}}
        fid = post_filter(api, TINY, body).json()["filterId"]
        api.set_dimension_name(TINY, "AreaCode", "en", "Area")
        assert get(api, f"/{TINY}/query/{fid}").status_code == 404
        assert post_filter(api, TINY, body).status_code == 500


def test_full_size_wimd_streams_every_row_as_csv():
    with serve(build_wimd_cube()) as api:
        rows = csv_rows(get(api, f"/{DS}/data", format="csv"))
        assert len(rows) - 1 == 1917 * len(DOMAINS) * 3
        page = get(api, f"/{DS}/data", format="json", page_size=10000, page_number=6).json()
        assert len(page) == 1917 * len(DOMAINS) * 3 - 50000
