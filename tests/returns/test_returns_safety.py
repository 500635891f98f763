"""Untrusted names, sizes, links and workbooks cannot hurt the platform or escape the intake."""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from returns_support import CARDIFF, FIXTURES, raw_rows

from sources.returns import SubmitError, process_file, process_intake_file, scan_intake, submit
from sources.returns.safety import UnsafePathError, inside, safe_name

GOOD_XLSX = FIXTURES / "pass" / "good.xlsx"


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\System32\\return.csv", "return.csv"),
    ("..", "return"),
    ("", "return"),
    (".hidden.csv", "hidden.csv"),
    ("a b/c?;rm -rf ~.csv", "c_rm_-rf_.csv"),
    ("\x00evil.csv", "evil.csv"),
    ("Caerdydd ŵyn 2024-25.xlsx", "Caerdydd_wyn_2024-25.xlsx"),
    ("Ôô.csv", "Oo.csv"),
    ("данные.csv", "return.csv"),
    (".csv", "return.csv"),
])
def test_safe_name_keeps_only_a_harmless_base_name(name, expected):
    assert safe_name(name) == expected


def test_safe_name_bounds_length_and_keeps_extension():
    name = safe_name("x" * 500 + ".csv")
    assert len(name) <= 120 and name.endswith(".csv")


def test_inside_refuses_escapes(tmp_path):
    (tmp_path / "in").mkdir()
    assert inside(tmp_path / "in", tmp_path / "in" / "a.csv") == (tmp_path / "in" / "a.csv").resolve()
    with pytest.raises(UnsafePathError):
        inside(tmp_path / "in", tmp_path / "in" / ".." / "a.csv")
    (tmp_path / "in" / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafePathError):
        inside(tmp_path / "in", tmp_path / "in" / "link" / "a.csv")


def test_submit_refuses_a_council_that_is_not_a_code(settings, config):
    for council in ("../../etc", "W06000015/../../x", "Cardiff", ""):
        with pytest.raises(SubmitError):
            submit(FIXTURES / "pass" / "good.csv", council, settings, config)
    assert not settings.intake.exists() or not any(settings.intake.iterdir())


def test_submitted_names_are_sanitised_and_stay_in_the_intake(tmp_path, settings, config):
    odd = tmp_path / "..;$(reboot) Cardiff return.csv"
    shutil.copyfile(FIXTURES / "pass" / "good.csv", odd)
    target = submit(odd, CARDIFF, settings, config)
    assert target.parent == settings.intake
    assert target.name.startswith(f"{CARDIFF}__") and target.name.endswith("__reboot_Cardiff_return.csv")
    assert target.read_bytes() == odd.read_bytes()


def test_processing_refuses_files_outside_the_intake(tmp_path, settings, con, config):
    settings.intake.mkdir(parents=True)
    outside = tmp_path / "outside.csv"
    shutil.copyfile(FIXTURES / "pass" / "good.csv", outside)
    for path in (outside, settings.intake / ".." / "outside.csv"):
        with pytest.raises(UnsafePathError):
            process_intake_file(path, settings, con, config)
    assert raw_rows(con) == [] and outside.exists()


def test_symlinks_fifos_and_hard_links_in_the_intake_are_never_read(tmp_path, settings, con, config):
    secret = tmp_path / "secret.csv"
    shutil.copyfile(FIXTURES / "pass" / "good.csv", secret)
    settings.intake.mkdir(parents=True)
    (settings.intake / f"{CARDIFF}__link.csv").symlink_to(secret)
    os.link(secret, settings.intake / f"{CARDIFF}__hard.csv")
    os.mkfifo(settings.intake / f"{CARDIFF}__pipe.csv")

    assert scan_intake(settings, con, config) == []
    assert raw_rows(con) == [] and secret.exists()
    assert not (settings.archive / "council").exists()
    with pytest.raises(UnsafePathError):
        process_intake_file(settings.intake / f"{CARDIFF}__link.csv", settings, con, config)
    with pytest.raises(UnsafePathError):
        process_file(settings.intake / f"{CARDIFF}__pipe.csv", settings, CARDIFF, con, config=config)


def test_oversize_file_is_quarantined_without_being_copied(settings, con, config):
    small = replace(config, max_bytes=100)
    path = FIXTURES / "pass" / "good.csv"
    submission = process_file(path, settings, CARDIFF, con, config=small)

    assert [(p.check, p.value) for p in submission.errors] == [("file_too_large", str(path.stat().st_size))]
    assert submission.archive_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not list((settings.archive / "council" / "returns").glob(f"{submission.archive_sha256}.*"))
    folder = settings.quarantine / submission.submission_id
    assert sorted(p.name for p in folder.iterdir()) == ["feedback.csv", "feedback.html"]
    assert raw_rows(con) == []
    with pytest.raises(SubmitError, match="limit"):
        submit(path, CARDIFF, settings, small)


def test_workbook_over_the_uncompressed_limit_is_refused_before_opening(settings, con, config):
    limited = replace(config, max_unzipped_bytes=10_000)
    submission = process_file(GOOD_XLSX, settings, CARDIFF, con, config=limited)
    assert [p.check for p in submission.errors] == ["xlsx_decompression_limit"]
    assert "10000" in submission.errors[0].message_en


def test_workbook_with_too_many_parts_is_refused(settings, con, config):
    submission = process_file(GOOD_XLSX, settings, CARDIFF, con, config=replace(config, max_zip_members=3))
    assert [p.check for p in submission.errors] == ["xlsx_decompression_limit"]


def _rewrite(source: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            out.writestr(info.filename, change(info.filename, original.read(info.filename)))
        if change("extra", None):
            out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return target


def test_macros_hidden_in_an_xlsx_are_refused(tmp_path, settings, con, config):
    path = _rewrite(GOOD_XLSX, tmp_path / "innocent.xlsx",
                    lambda name, data: data if data is not None else True)
    submission = process_file(path, settings, CARDIFF, con, config=config)
    assert [p.check for p in submission.errors] == ["macros_not_accepted"]


def test_xml_entities_are_refused_before_parsing(tmp_path, settings, con, config):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'

    def change(name, data):
        if data is None:
            return False
        return bomb + data if name == "xl/worksheets/sheet1.xml" else data

    path = _rewrite(GOOD_XLSX, tmp_path / "entities.xlsx", change)
    submission = process_file(path, settings, CARDIFF, con, config=config)
    assert [p.check for p in submission.errors] == ["unreadable_file"]
    assert "DOCTYPE" in submission.errors[0].message_en
