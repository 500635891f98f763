"""Shared fixtures: a temporary home, live settings pointing at a loopback server, fast clients.

Every provider gets its own path prefix on the one `pytest-httpserver` server, so a test can
serve StatsWales, Nomis and ONS answers side by side. Clients are real `PoliteClient`s whose
sleeps are recorded instead of slept, so backoff and `Retry-After` are observable and tests
stay fast.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from filelock import FileLock

from sources.archive import Archive, FetchSet
from sources.catalogue import Dataset, parse_entry
from sources.fetch import make_client
from sources.http import Download, PoliteClient
from sources.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]

CONTACT = "tests@datacymru.example"
PREFIXES = {"statswales": "/statswales/v2", "nomis": "/nomis/api/v01", "ons": "/ons/v1"}


class SleepRecorder:
    """Stands in for `time.sleep`: remembers every requested delay and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def logs() -> list[str]:
    return []


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def live_settings(home: Path, httpserver) -> Settings:
    """Live mode with every provider's base URL on the loopback server."""
    urls = {provider: httpserver.url_for(prefix).rstrip("/") for provider, prefix in PREFIXES.items()}
    return Settings(home=home, mode="live", base_urls=urls, contact=CONTACT)


@pytest.fixture
def client_for(live_settings: Settings, sleeps: SleepRecorder,
               logs: list[str]) -> Callable[..., PoliteClient]:
    """A real client for a dataset's provider: fast backoff, recorded sleeps, short timeouts."""

    def build(dataset: Dataset, **options: Any) -> PoliteClient:
        options = {"sleep": sleeps, "backoff_base": 0.01, "timeout": (2.0, 2.0),
                   "max_attempts": 4, "rate_limit": (10_000, 1.0), **options}
        return make_client(dataset, live_settings, log=logs.append, **options)

    return build


@pytest.fixture
def warehouse(home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A real DuckDB file in the temporary home."""
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    yield con
    con.close()


# --- synthetic catalogue entries -------------------------------------------------------------

NOMIS_HEADERS = ["DATE_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "MEASURES_NAME", "OBS_VALUE",
                 "OBS_STATUS", "RECORD_OFFSET", "RECORD_COUNT"]
NOMIS_TYPES = {"OBS_VALUE": "DOUBLE", "RECORD_OFFSET": "BIGINT", "RECORD_COUNT": "BIGINT"}
# A synthetic StatsWales dataset with two dimensions, as the v2 API names its columns in the
# `raw_extended` view (reference/wire-formats.md): <Dim>, <Dim>_reference, <Dim>_sort,
# <Dim>_hierarchy; Data description (+ suffixes); Data values (+ _sort); Notes. Welsh headers follow
# the backend's locale (`_cyfeiriad`, `_didoli`, `_hierarchiaeth`, `Gwerthoedd data`, `Nodiadau`).
STATSWALES_DIMS = {"Year": ("Blwyddyn", "YearCode"), "Area": ("Ardal", "AreaCode")}
STATSWALES_WORDS = {
    "en-gb": ("Data description", "Data values", "Notes", "reference", "sort", "hierarchy"),
    "cy-gb": ("Disgrifiad o\u2019r data", "Gwerthoedd data", "Nodiadau", "cyfeiriad", "didoli",
              "hierarchiaeth"),
}
ONS_HEADERS = ["v4_0", "calendar-years", "Time", "administrative-geography", "Geography"]


def _entry(provider: str, dataset_id: str, columns: list[dict], request: dict) -> dict[str, Any]:
    return {"provider": provider, "dataset_id": dataset_id, "title_en": f"Test {dataset_id}",
            "title_cy": f"Prawf {dataset_id}", "cadence": "0 6 * * 1", "max_age_days": 400,
            "licence": "Open Government Licence v3.0", "marts": [], "request": request,
            "columns": columns}


def nomis_dataset(key: str = "nomis__test_pop", dataset_id: str = "NM_9_1") -> Dataset:
    columns = [{"name": h.lower(), "en": h, "type": NOMIS_TYPES.get(h, "VARCHAR")}
               for h in NOMIS_HEADERS]
    return parse_entry(key, _entry("nomis", dataset_id, columns,
                                   {"geography": "W92000004", "measures": "20100"}))


def statswales_dataset(key: str = "statswales__test_waste",
                       dataset_id: str = "0b3c7a52-0000-4000-8000-000000000001",
                       page_size: int = 2, fmt: str = "json", **request: Any) -> Dataset:
    entry = _entry("statswales", dataset_id, [], {"format": fmt, "page_size": page_size, **request})
    entry.pop("columns")
    entry["dimensions"] = [{"name": "period", "en": "Year"}, {"name": "area", "en": "Area"}]
    return parse_entry(key, entry)


def ons_dataset(key: str = "ons__test_pop", dataset_id: str = "test-pop-est") -> Dataset:
    columns = [{"name": h.replace("-", "_").lower(), "en": h} for h in ONS_HEADERS]
    return parse_entry(key, _entry("ons", dataset_id, columns, {}))


@pytest.fixture
def datasets() -> SimpleNamespace:
    """Builders of small synthetic catalogue entries, validated by `parse_entry`."""
    return SimpleNamespace(nomis=nomis_dataset, statswales=statswales_dataset, ons=ons_dataset)


# --- wire formats ----------------------------------------------------------------------------

def nomis_rows(count: int) -> list[dict[str, str]]:
    """`count` Nomis-like rows (no RECORD_* columns: those depend on the page)."""
    rows = []
    for i in range(count):
        rows.append({"DATE_NAME": str(2019 + i % 5), "GEOGRAPHY_CODE": f"W060000{i % 22 + 1:02d}",
                     "GEOGRAPHY_NAME": f"Area {i % 22 + 1}", "MEASURES_NAME": "Value",
                     "OBS_VALUE": str(1000 + i), "OBS_STATUS": "A"})
    return rows


def nomis_csv(rows: list[dict[str, str]], offset: int = 0, total: int | None = None,
              headers: list[str] | None = None) -> bytes:
    """A Nomis CSV page: every value quoted, RECORD_OFFSET and RECORD_COUNT on every row."""
    headers = headers or NOMIS_HEADERS
    total = len(rows) if total is None else total
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(headers)
    for i, row in enumerate(rows):
        full = {**row, "RECORD_OFFSET": str(offset + i), "RECORD_COUNT": str(total)}
        writer.writerow([full.get(h, "") for h in headers])
    return out.getvalue().encode()


def statswales_rows(count: int, lang: str) -> list[dict[str, Any]]:
    """`raw_extended` JSON row objects of the synthetic StatsWales dataset in one language."""
    welsh = lang.startswith("cy")
    measure, values, notes, ref, sort, hier = STATSWALES_WORDS["cy-gb" if welsh else "en-gb"]
    names = ["Wrecsam", "Caerdydd"] if welsh else ["Wrexham", "Cardiff"]
    rows = []
    for i in range(count):
        row: dict[str, Any] = {}
        cells = {"Year": ("2023-24", "2023-24", None), "Area": (f"W060000{i % 22 + 1:02d}", names[i % 2],
                                                                  "W92000004")}
        for dim, (reference, label, parent) in cells.items():
            name = STATSWALES_DIMS[dim][0] if welsh else dim
            row |= {name: label, f"{name}_{ref}": reference, f"{name}_{sort}": reference,
                    f"{name}_{hier}": parent}
        row |= {measure: "Canran" if welsh else "Percentage", f"{measure}_{ref}": "1",
                f"{measure}_{sort}": 1, f"{measure}_{hier}": None,
                values: 60.5 + i, f"{values}_{sort}": 60.5 + i,
                notes: ("Amodol" if welsh else "Provisional") if i % 3 else None}
        rows.append(row)
    return rows


def statswales_answers(dataset: Dataset) -> dict[tuple[str, str | None], Any]:
    """The metadata answers one fetch archives beside the data: `{(role, lang): document}`."""
    mapping = [{"fact_table_column": fact, "dimension_name": cy if lang == "cy-gb" else en,
                "language": lang}
               for lang in ("en-gb", "cy-gb") for en, (cy, fact) in STATSWALES_DIMS.items()]
    mapping += [{"fact_table_column": "Measure", "dimension_name": STATSWALES_WORDS[lang][0],
                 "language": lang} for lang in ("en-gb", "cy-gb")]
    filters = [{"factTableColumn": fact, "columnName": en, "values": []}
               for en, (_cy, fact) in STATSWALES_DIMS.items()]
    filters.append({"factTableColumn": "Measure", "columnName": "Data description",
                    "values": [{"reference": "1", "description": "Percentage"}]})
    answers: dict[tuple[str, str | None], Any] = {
        ("query", None): {"id": "a1b2c3d4e5f6", "totalLines": 0, "columnMapping": mapping},
        ("filters", "en-gb"): filters}
    for lang in ("en-gb", "cy-gb"):
        answers["metadata", lang] = {"id": dataset.dataset_id, "published_revision": {
            "metadata": {"language": lang, "title": f"Test {dataset.dataset_id} {lang}"}}}
    return answers


def json_body(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


@pytest.fixture
def wire() -> SimpleNamespace:
    """Builders of answers in each API's wire format, and the server prefix of each provider."""
    return SimpleNamespace(nomis_rows=nomis_rows, nomis_csv=nomis_csv, nomis_headers=NOMIS_HEADERS,
                           statswales_rows=statswales_rows, statswales_answers=statswales_answers,
                           json=json_body, prefixes=PREFIXES)


# --- archive without HTTP ----------------------------------------------------------------------

@pytest.fixture
def archive_fetch(home: Path) -> Callable[..., tuple[FetchSet, Archive]]:
    """Archive bodies as a completed fetch, through the real `Archive`, without any HTTP."""
    counter = iter(range(1_000_000))

    def build(dataset: Dataset, bodies: list[tuple[bytes, str | None]], ext: str = "csv",
              retrieved_at: str = "2026-01-15T10:00:00+00:00",
              answers: dict[tuple[str, str | None], Any] | None = None) -> tuple[FetchSet, Archive]:
        """`answers` are the metadata documents of the fetch (StatsWales: `wire.statswales_answers`)."""
        archive = Archive(home / "archive", dataset.provider, dataset.name)
        fetch = FetchSet(dataset=dataset.key, mode="live")

        def store(body: bytes, ctype: str, role: str, lang: str | None, page: int | None) -> None:
            tmp = archive.tmp_dir / f"body-{next(counter)}.part"
            tmp.write_bytes(body)
            url = f"http://mirror.test/{dataset.dataset_id}/{role}?page={page}&lang={lang}"
            download = Download(url, "GET", 200, {"Content-Type": ctype}, tmp,
                                hashlib.sha256(body).hexdigest(), len(body), retrieved_at)
            fetch.parts.append(archive.store(download, role, lang=lang, page=page))

        if answers is None and dataset.provider == "statswales":
            answers = statswales_answers(dataset)
        for (role, lang), doc in (answers or {}).items():
            store(json_body(doc), "application/json", role, lang, None)
        ctype = {"csv": "text/csv", "json": "application/json"}[ext]
        for page, (body, lang) in enumerate(bodies, start=1):
            store(body, ctype, "data", lang, page)
        return archive.complete(fetch), archive

    return build


def run_datacymru(home: Path, *args: str, extra_env: dict[str, str] | None = None):
    """`datacymru ARGS` in a subprocess with its own home (data + Dagster instance)."""
    env = {**os.environ, "DATA_CYMRU_HOME": str(home / "data"), "DAGSTER_HOME": str(home / "dagster"),
           "DATA_CYMRU_MODE": "snapshot", **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end, deployment and UI files first, each file's tests kept in their order.

    pytest-xdist hands test files to workers in collection order, and these take minutes each:
    handed out first, none is left to start on one worker while the other has nothing left to do.
    """
    slow = ("tests/e2e/", "tests/deploy/", "tests/ui/")
    items.sort(key=lambda item: not item.nodeid.startswith(slow))


@pytest.fixture(scope="session")
def refreshed(tmp_path_factory, worker_id: str):
    """(home, completed `datacymru refresh`) after one full snapshot refresh, shared by the session.

    Read-only: a test that changes a home works on `copy_home(...)` of it. Under pytest-xdist the
    workers share one refresh: the first to need it makes it under a file lock, the others wait
    and read its recorded outcome (pytest-xdist's documented recipe for session fixtures).
    """
    if worker_id == "master":  # one process: no other worker to share with
        root = tmp_path_factory.getbasetemp()
    else:
        root = tmp_path_factory.getbasetemp().parent
    home, record = root / "refreshed-home", root / "refreshed-home.json"
    with FileLock(str(root / "refreshed-home.lock")):
        if not record.exists():
            home.mkdir()
            done = run_datacymru(home, "refresh")
            record.write_text(json.dumps({"args": done.args, "returncode": done.returncode,
                                          "stdout": done.stdout, "stderr": done.stderr}),
                              encoding="utf-8")
    done = subprocess.CompletedProcess(**json.loads(record.read_text(encoding="utf-8")))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home, done


def copy_home(source: Path, target: Path) -> Path:
    """A private copy of a refreshed home (warehouse, archive, releases, Dagster history)."""
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture
def home_copy(refreshed, tmp_path: Path) -> Path:
    """A private copy of the shared refreshed home, for a test that changes what it finds."""
    return copy_home(refreshed[0], tmp_path / "home")


@pytest.fixture(scope="module")
def sample_mirror() -> Iterator[dict[str, str]]:
    """The bundled sample API on loopback HTTP (`sources/sample_api.py`): base URL per provider."""
    from system_tools import free_port

    from sources.sample_api import SampleApi, mirror_urls, serve

    port = free_port()
    urls = mirror_urls(f"http://127.0.0.1:{port}")
    server, _ = serve(SampleApi(urls), "127.0.0.1", port)
    yield urls
    server.shutdown()


@pytest.fixture(scope="module")
def live_env(sample_mirror: dict[str, str]) -> dict[str, str]:
    """The environment of a `datacymru` command in live mode against `sample_mirror`."""
    from sources.settings import URL_ENV

    return {"DATA_CYMRU_MODE": "live", **{var: sample_mirror[p] for p, var in URL_ENV.items()}}


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess]:
    return run_datacymru
