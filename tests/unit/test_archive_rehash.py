"""An archived file changed after it was archived is never reused or loaded, and is named.

Row 5 of the adversarial sweep: one byte changed in an archived file was loaded and published,
and a later identical answer (HTTP 304) reused the changed copy.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from werkzeug import Request, Response

from sources.archive import Archive, ArchiveIntegrityError, sha256_file
from sources.fetch import fetch_dataset
from sources.gates.verify import verify
from sources.load import LoadError, load_dataset
from sources.settings import Settings


def change_one_byte(path: Path, old: bytes, new: bytes) -> str:
    """Replace the first `old` with `new` (same length) in a read-only archived file."""
    data = path.read_bytes()
    assert old in data and len(old) == len(new)
    path.chmod(0o644)
    path.write_bytes(data.replace(old, new, 1))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table(con, name: str) -> list[tuple]:
    return con.execute(f"SELECT * EXCLUDE (_loaded_at) FROM {name} ORDER BY ALL").fetchall()


@pytest.fixture
def nomis(datasets, wire, archive_fetch):
    dataset = datasets.nomis()
    rows = wire.nomis_rows(5)
    fetch, archive = archive_fetch(dataset, [(wire.nomis_csv(rows[:3], 0, 5), None),
                                             (wire.nomis_csv(rows[3:], 3, 5), None)])
    return dataset, fetch, archive


def test_a_changed_byte_stops_the_load_naming_the_file_and_both_hashes(nomis, warehouse):
    dataset, fetch, archive = nomis
    load_dataset(dataset, fetch, archive, warehouse)
    before = table(warehouse, dataset.raw_table)
    part = fetch.data_parts[1]
    path = archive.path_of(part)
    actual = change_one_byte(path, b'"1004"', b'"9004"')  # still a valid CSV, a different figure

    with pytest.raises(LoadError) as raised:
        load_dataset(dataset, fetch, archive, warehouse, force=True)
    message = str(raised.value)
    assert f"archived file {path} was changed after it was archived" in message
    assert f"recorded sha256 {part.sha256}, actual sha256 {actual}" in message
    assert "Move it aside" in message and f"refresh --dataset {dataset.key}" in message
    assert f"The previous {dataset.raw_table} is unchanged" in message
    assert table(warehouse, dataset.raw_table) == before
    assert warehouse.execute("SELECT count(*) FROM raw._loads").fetchone()[0] == 1


def test_a_changed_file_is_the_error_even_when_it_also_breaks_the_parse(nomis, warehouse):
    dataset, fetch, archive = nomis
    path = archive.path_of(fetch.data_parts[0])
    change_one_byte(path, b'"OBS_VALUE"', b'"OBS_VALUX"')  # would read as a renamed column
    with pytest.raises(LoadError, match=r"was changed after it was archived: recorded sha256"):
        load_dataset(dataset, fetch, archive, warehouse)
    assert warehouse.execute("SELECT count(*) FROM information_schema.tables "
                             "WHERE table_name = ?", [dataset.key]).fetchone()[0] == 0


def test_a_changed_statswales_answer_that_names_the_columns_is_named(datasets, wire, archive_fetch,
                                                                      warehouse):
    dataset = datasets.statswales()
    body = wire.json(wire.statswales_rows(2, "en-gb"))
    fetch, archive = archive_fetch(dataset, [(body, "en-gb")], ext="json")
    query = next(p for p in fetch.parts if p.role == "query")
    path = archive.path_of(query)
    change_one_byte(path, b"a1b2c3d4e5f6", b"a1b2c3d4e5f7")
    with pytest.raises(LoadError, match=re.escape(f"archived file {path} was changed")):
        load_dataset(dataset, fetch, archive, warehouse)


def test_a_304_does_not_reuse_a_changed_file(datasets, wire, live_settings, client_for, httpserver):
    dataset = datasets.nomis()
    body = wire.nomis_csv(wire.nomis_rows(3))

    def answer(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(body, content_type="text/csv", headers={"ETag": '"v1"'})

    httpserver.expect_request(re.compile(".*")).respond_with_handler(answer)
    first = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    (part,) = first.data_parts
    archive = Archive(live_settings.archive, dataset.provider, dataset.name)
    path = archive.path_of(part)
    actual = change_one_byte(path, b'"1001"', b'"1002"')
    manifest = (archive.dir / "manifest.jsonl").read_text()

    with pytest.raises(ArchiveIntegrityError) as raised:
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert (raised.value.path, raised.value.recorded, raised.value.actual) == (
        path, part.sha256, actual)
    assert "Move it aside" in str(raised.value)
    assert archive.latest_fetch().fetch_id == first.fetch_id  # the failed fetch never completed
    assert (archive.dir / "manifest.jsonl").read_text() == manifest

    # What the message says to do works: moved aside, the next fetch stores a fresh copy.
    path.rename(path.with_name(path.name + ".changed"))
    again = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert again.data_parts[0].sha256 == part.sha256
    assert sha256_file(path) == part.sha256


def test_audit_verify_names_a_changed_or_missing_archive_file(nomis, home):
    dataset, fetch, archive = nomis
    changed, gone = (archive.path_of(p) for p in fetch.data_parts)
    actual = change_one_byte(changed, b'"1001"', b'"1002"')
    gone.unlink()

    found = verify(Settings(home=home))
    problems = {(p.where, p.check): p for p in found.problems}
    assert set(problems) == {(str(changed), "sha256"), (str(gone), "missing")}
    sha = problems[str(changed), "sha256"]
    assert (sha.expected, sha.actual) == (fetch.data_parts[0].sha256, actual)
    assert sha.message == (
        f"archive: {changed}: recorded sha256 {fetch.data_parts[0].sha256}, actual sha256 "
        f"{actual}: the file was changed after it was archived; move it aside and fetch "
        f"{dataset.key} again (`datacymru refresh --dataset {dataset.key}`)")
    assert "named in manifest.jsonl line" in problems[str(gone), "missing"].message


def test_audit_verify_names_an_edited_fetch_log(nomis, home):
    _, fetch, archive = nomis
    log = archive.dir / "fetches.jsonl"
    doc = json.loads(log.read_text())
    doc["parts"].reverse()  # the same files in another order: another data version
    log.write_text(json.dumps(doc) + "\n")
    (problem,) = verify(Settings(home=home)).problems
    assert (problem.where, problem.check) == (str(log), "data_version")
    assert problem.expected == fetch.data_version
