"""The raw archive: content-addressed, immutable, with an append-only manifest."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from sources.archive import Archive, FetchSet, Part
from sources.http import Download


def download(archive: Archive, body: bytes, url: str = "http://mirror.test/a.csv",
             ctype: str = "text/csv", status: int = 200) -> Download:
    tmp = archive.tmp_dir / f"{hashlib.md5(body + url.encode()).hexdigest()}.part"
    tmp.write_bytes(body)
    headers = {"Content-Type": ctype, "ETag": '"v1"', "X-Request-Id": "abc", "Date": "Sun, 01 Mar 2026"}
    return Download(url, "GET", status, headers, tmp, hashlib.sha256(body).hexdigest(), len(body),
                    "2026-03-01T12:00:00+00:00")


def manifest(archive: Archive, name: str = "manifest.jsonl") -> list[dict]:
    path = archive.dir / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def part(sha: str, lang: str | None = "en-gb", role: str = "data", page: int = 1) -> Part:
    return Part(sha, "json", role, f"http://x.test/{sha}", "2026-03-01T12:00:00+00:00", 10, lang, page)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path / "archive", "nomis", "population")


def test_a_body_is_stored_under_its_sha256_read_only(archive: Archive):
    body = b'"DATE_NAME","OBS_VALUE"\r\n"2024","1"\r\n'
    stored = archive.store(download(archive, body), "data", page=1)
    path = archive.path_of(stored)
    assert path == archive.dir / f"{hashlib.sha256(body).hexdigest()}.csv"
    assert path.parent == archive.dir.parent.parent / "nomis" / "population"
    assert path.read_bytes() == body
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert list(archive.tmp_dir.iterdir()) == []


def test_the_same_content_twice_is_stored_once_and_logged_twice(archive: Archive):
    body = b"A\r\n1\r\n"
    first = archive.store(download(archive, body, url="http://mirror.test/a?page=1"), "data", page=1)
    before = archive.path_of(first).stat()
    second = archive.store(download(archive, body, url="http://mirror.test/a?again=1"), "data", page=1)
    assert first.sha256 == second.sha256
    files = [p for p in archive.dir.iterdir() if p.is_file() and p.suffix == ".csv"]
    assert len(files) == 1
    after = archive.path_of(second).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    rows = manifest(archive)
    assert [r["url"] for r in rows] == ["http://mirror.test/a?page=1", "http://mirror.test/a?again=1"]
    assert {r["sha256"] for r in rows} == {first.sha256}
    assert list(archive.tmp_dir.iterdir()) == []


def test_manifest_rows_carry_what_provenance_needs(archive: Archive):
    body = b'[{"a": 1}]'
    archive.store(download(archive, body, ctype="application/json; charset=utf-8"), "data",
                  lang="cy-gb", page=3)
    (row,) = manifest(archive)
    assert row["status"] == 200
    assert row["bytes"] == len(body)
    assert row["sha256"] == hashlib.sha256(body).hexdigest()
    assert row["file"] == f"{row['sha256']}.json"
    assert row["retrieved_at"] == "2026-03-01T12:00:00+00:00"
    assert (row["lang"], row["page"], row["role"]) == ("cy-gb", 3, "data")
    assert row["headers"] == {"Content-Type": "application/json; charset=utf-8", "ETag": '"v1"',
                              "Date": "Sun, 01 Mar 2026"}


def test_the_manifest_is_only_ever_appended_to(archive: Archive):
    archive.store(download(archive, b"A\r\n1\r\n"), "data")
    text = (archive.dir / "manifest.jsonl").read_text(encoding="utf-8")
    archive.store(download(archive, b"A\r\n2\r\n"), "data")
    archive.store(download(archive, b"A\r\n1\r\n"), "data")
    grown = (archive.dir / "manifest.jsonl").read_text(encoding="utf-8")
    assert grown.startswith(text)
    assert len(grown.splitlines()) == 3


def test_a_304_has_no_body_to_store(archive: Archive):
    not_modified = Download("http://mirror.test/a", "GET", 304, {}, None, "", 0, "2026-03-01T12:00:00+00:00")
    with pytest.raises(ValueError, match="304"):
        archive.store(not_modified, "data")


def test_a_rejected_body_is_kept_aside_and_never_as_data(archive: Archive):
    kept = archive.reject(download(archive, b'[{"a": 1},', ctype="application/json"), "not JSON")
    assert kept.parent == archive.dir / "rejected"
    assert kept.read_bytes() == b'[{"a": 1},'
    assert not list(archive.dir.glob("*.json"))
    (row,) = manifest(archive, "rejected.jsonl")
    assert row["reason"] == "not JSON"
    assert manifest(archive) == []


def test_only_complete_fetches_are_found(archive: Archive):
    assert archive.latest_fetch() is None
    first = FetchSet("nomis__population", "live", parts=[part("a" * 64)])
    archive.complete(first)
    second = FetchSet("nomis__population", "live", parts=[part("b" * 64)])
    archive.complete(second)
    FetchSet("nomis__population", "live", parts=[part("c" * 64)])  # never completed
    latest = archive.latest_fetch()
    assert latest is not None
    assert latest.fetch_id == second.fetch_id
    assert latest.data_version == second.data_version
    assert latest.finished_at is not None


def test_data_version_depends_on_content_order_and_language_only():
    parts = [part("a" * 64, "en-gb", page=1), part("b" * 64, "en-gb", page=2)]
    one = FetchSet("x", "live", parts=list(parts))
    two = FetchSet("x", "snapshot", parts=list(parts))
    assert one.fetch_id != two.fetch_id
    assert one.data_version == two.data_version
    assert len(one.data_version) == 64
    assert FetchSet("x", "live", parts=parts[::-1]).data_version != one.data_version
    welsh = [part("a" * 64, "cy-gb", page=1), part("b" * 64, "cy-gb", page=2)]
    assert FetchSet("x", "live", parts=welsh).data_version != one.data_version


def test_data_version_ignores_metadata_parts():
    data = [part("a" * 64)]
    with_meta = [part("f" * 64, None, role="metadata", page=None), *data]
    plain = FetchSet("x", "live", parts=data)
    assert FetchSet("x", "live", parts=with_meta).data_version == plain.data_version
    assert FetchSet("x", "live", parts=with_meta).data_parts == data


def test_data_version_survives_a_round_trip_through_json():
    fetch = FetchSet("x", "live", parts=[part("a" * 64), part("b" * 64, "cy-gb", page=2)])
    doc = json.loads(json.dumps(fetch.to_json()))
    assert doc["data_version"] == fetch.data_version
    again = FetchSet.from_json(doc)
    assert again == fetch
    assert again.data_version == fetch.data_version
