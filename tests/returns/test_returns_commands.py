"""The `submit` and `submissions` sub-commands and the sensor cursor helper."""

from __future__ import annotations

import argparse
import json
import os
import time

from returns_support import CARDIFF, FIXTURES, SWANSEA

from sources.returns import next_intake_batch, submit
from sources.returns.commands import add_commands


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="datacymru")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_submit_and_list_from_the_command_line(settings, monkeypatch, capsys):
    monkeypatch.setenv("DATA_CYMRU_HOME", str(settings.home))
    assert _run(["submissions"]) == 0
    assert "no submissions yet" in capsys.readouterr().out

    assert _run(["submit", str(FIXTURES / "pass" / "good.csv"), "--council", CARDIFF]) == 0
    assert "intake sensor" in capsys.readouterr().out
    assert len(list(settings.intake.glob(f"{CARDIFF}__*good.csv"))) == 1

    assert _run(["submit", str(FIXTURES / "fail" / "duplicate_row.csv"), "--council", CARDIFF,
                 "--process"]) == 1
    assert "quarantined (1 error(s)" in capsys.readouterr().out
    assert _run(["submit", str(FIXTURES / "pass" / "good.xlsx"), "--council", CARDIFF, "--process"]) == 0
    capsys.readouterr()

    assert _run(["submissions", "--council", CARDIFF, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["file_name"].split("__")[-1], s["status"]) for s in listed] == [
        ("duplicate_row.csv", "quarantined"), ("good.xlsx", "accepted")]
    assert _run(["submissions"]) == 0
    assert "good.xlsx" in capsys.readouterr().out
    assert _run(["submissions", "--council", SWANSEA, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_submit_refuses_an_unknown_council(settings, monkeypatch, capsys):
    monkeypatch.setenv("DATA_CYMRU_HOME", str(settings.home))
    assert _run(["submit", str(FIXTURES / "pass" / "good.csv"), "--council", "../../etc"]) == 2
    assert "not submitted" in capsys.readouterr().err


def test_sensor_cursor_requests_each_file_once_and_forgets_processed_ones(settings, config):
    assert next_intake_batch(settings, None, config) == ([], "[]")
    first = submit(FIXTURES / "pass" / "good.csv", CARDIFF, settings, config)
    os.utime(first, (time.time() - 5, time.time() - 5))
    second = submit(FIXTURES / "pass" / "good.xlsx", CARDIFF, settings, config)

    batch, cursor = next_intake_batch(settings, None, config)
    assert batch == [first, second]
    assert next_intake_batch(settings, cursor, config) == ([], cursor)
    first.unlink()
    assert next_intake_batch(settings, cursor, config) == ([], json.dumps([second.name]))
