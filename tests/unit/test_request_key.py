"""Snapshot request keys: the same request always finds the same recorded answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sources.snapshot import RecordingAdapter, SnapshotAdapter, SnapshotMissing, request_key, session_with

BASE = "https://api.stats.gov.wales/v2/abc/data/f1"


def key(method: str, url: str, body: bytes | None = None) -> str:
    return request_key(method, url, body)


def test_query_order_does_not_matter():
    assert key("GET", f"{BASE}?lang=cy-gb&format=json&page_number=2") == \
        key("GET", f"{BASE}?page_number=2&format=json&lang=cy-gb")


def test_method_case_and_fragment_do_not_matter():
    assert key("get", f"{BASE}?a=1#top") == key("GET", f"{BASE}?a=1")


def test_blank_values_and_repeated_parameters_are_kept():
    assert key("GET", f"{BASE}?a=") != key("GET", BASE)
    assert key("GET", f"{BASE}?a=1&a=2") == key("GET", f"{BASE}?a=1&a=2")
    assert key("GET", f"{BASE}?a=1&a=2") != key("GET", f"{BASE}?a=1")


def test_percent_encoding_is_normalised():
    assert key("GET", f"{BASE}?geography=W06000001%2CW06000002") == \
        key("GET", f"{BASE}?geography=W06000001,W06000002")


def test_differences_that_matter_give_different_keys():
    keys = {key("GET", f"{BASE}?page_number=1"), key("GET", f"{BASE}?page_number=2"),
            key("POST", f"{BASE}?page_number=1"),
            key("GET", "https://other.test/v2/abc/data/f1?page_number=1")}
    assert len(keys) == 4


def test_json_bodies_are_compared_by_content_not_layout():
    one = json.dumps({"filters": [], "options": {"a": 1, "b": 2}}).encode()
    two = b'{"options": {"b": 2, "a": 1},\n "filters": []}'
    other = json.dumps({"filters": [{"Year": ["2023"]}], "options": {"a": 1, "b": 2}}).encode()
    assert key("POST", BASE, one) == key("POST", BASE, two)
    assert key("POST", BASE, one) != key("POST", BASE, other)


def test_a_request_without_body_has_no_body_hash_and_a_raw_body_is_hashed_as_is():
    assert key("GET", BASE) == f"GET {BASE}"
    assert key("GET", BASE, b"") == f"GET {BASE}"
    raw = key("POST", BASE, b"not json")
    assert raw.startswith(f"POST {BASE} ") and len(raw.split(" ")[-1]) == 16
    assert raw != key("POST", BASE, b"not json either")


def test_recorded_answers_replay_byte_for_byte(tmp_path: Path):
    def handler(method, url, body):
        return 200, {"Content-Type": "text/csv"}, f"A,B\r\n{method},{len(body or b'')}\r\n".encode()

    recorder = RecordingAdapter(tmp_path, handler)
    live = session_with(recorder).get(f"{BASE}?b=2&a=1")
    recorder.save()
    replayed = session_with(SnapshotAdapter(tmp_path)).get(f"{BASE}?a=1&b=2")
    assert replayed.status_code == 200
    assert replayed.content == live.content == b"A,B\r\nGET,0\r\n"
    assert replayed.headers["Content-Type"] == "text/csv"


def test_a_request_that_was_never_recorded_is_an_error(tmp_path: Path):
    recorder = RecordingAdapter(tmp_path, lambda *_: (200, {"Content-Type": "text/csv"}, b"A\r\n"))
    session_with(recorder).get(f"{BASE}?a=1")
    recorder.save()
    with pytest.raises(SnapshotMissing, match="no answer for GET"):
        session_with(SnapshotAdapter(tmp_path)).get(f"{BASE}?a=2")


def test_a_folder_without_index_is_an_error(tmp_path: Path):
    with pytest.raises(SnapshotMissing, match="no snapshot index"):
        SnapshotAdapter(tmp_path)
