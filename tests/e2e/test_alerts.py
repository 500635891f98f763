"""Alerts end to end: a real refreshed home, real failures, real sensor ticks, real channels.

A blocking gate fails in `datacymru publish` (so the run fails too) and a council return is
quarantined by `datacymru submit --process`; each alert sensor then sends exactly one message for
each event, to a loopback webhook or a local SMTP server, and nothing more on the next tick.
"""

from __future__ import annotations

import json
import shutil
import socket
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from dagster import DagsterInstance, build_sensor_context

from orchestration.alerts import (
    blocking_gate_alert_sensor,
    quarantined_return_alert_sensor,
    run_failure_alert_sensor,
)
from orchestration.definitions import defs

REPO = Path(__file__).resolve().parents[2]
PERF = "mart_performance_framework"
BAD_RETURN = REPO / "tests" / "fixtures" / "returns" / "fail" / "negative_value.csv"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as probe:  # a free port: the controller checks it by connecting to it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def home(refreshed, tmp_path, monkeypatch) -> Path:
    source, _ = refreshed
    shutil.copytree(source, tmp_path / "h", symlinks=True)
    home = tmp_path / "h"
    monkeypatch.setenv("DATA_CYMRU_HOME", str(home / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.setenv("DATA_CYMRU_UI_URL", "http://dagster.test:3000/")
    for name in ("DATA_CYMRU_ALERT_WEBHOOK", "DATA_CYMRU_ALERT_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    return home


class Ticks:
    """Evaluates one sensor again and again, as the daemon would, carrying its cursor."""

    def __init__(self, sensor, instance: DagsterInstance) -> None:
        self.sensor, self.instance, self.cursor = sensor, instance, None

    def __call__(self):
        context = build_sensor_context(instance=self.instance, cursor=self.cursor, definitions=defs)
        result = self.sensor.evaluate_tick(context)
        self.cursor = result.cursor
        return result


def test_a_blocked_release_is_told_once_as_a_failed_run_and_once_as_a_failed_gate(
        home, cli, warehouse, httpserver, monkeypatch):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    monkeypatch.setenv("DATA_CYMRU_ALERT_WEBHOOK", httpserver.url_for("/hook"))
    with DagsterInstance.get() as instance:
        runs, gates = Ticks(run_failure_alert_sensor, instance), Ticks(blocking_gate_alert_sensor, instance)
        runs(), gates()  # the first ticks start from what is there: a clean refresh, nothing to tell
        assert not httpserver.log
        with warehouse(home, read_only=False) as con:
            con.execute(f"UPDATE marts.{PERF} SET area_name_cy = '' WHERE area_code = 'W06000001'")
        done = cli(home, "publish", "--mart", PERF)
        assert done.returncode == 1, done.stdout

        runs(), gates()
        bodies = [json.loads(request.get_data()) for request, _ in httpserver.log]
        assert sorted(b["datacymru"]["kind"] for b in bodies) == ["gate_failed", "run_failed"]
        runs(), gates()
        assert len(httpserver.log) == 2, "the next ticks tell nothing again"

    run_failed = next(b for b in bodies if b["datacymru"]["kind"] == "run_failed")
    run_id = run_failed["datacymru"]["run_id"]
    assert run_failed["datacymru"]["link"] == f"http://dagster.test:3000/runs/{run_id}"
    text = run_failed["text"]
    # Dagster does not run the publish step after a failed blocking check: the check's step fails.
    assert "of job refresh_all (started by publish)" in text, text
    assert "Why: step " in text and "labels_bilingual" in text, text
    gate = next(b for b in bodies if b["datacymru"]["kind"] == "gate_failed")
    assert gate["datacymru"]["run_id"] == run_id
    assert "labels_bilingual" in gate["text"]
    report = Path(gate["datacymru"]["report"])
    assert report.name == "report.html" and report.exists() and report.parent.parent.name == "blocked"
    assert f"datacymru audit checks --run {run_id} --failed" in gate["text"]


def test_a_quarantined_return_is_told_once_by_e_mail_in_english_and_welsh(home, cli, smtp, monkeypatch):
    inbox, port = smtp
    monkeypatch.setenv("DATA_CYMRU_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DATA_CYMRU_ALERT_SMTP_PORT", str(port))
    monkeypatch.setenv("DATA_CYMRU_ALERT_SMTP_FROM", "platform@datacymru.example")
    monkeypatch.setenv("DATA_CYMRU_ALERT_SMTP_TO", "returns@datacymru.example, council@example.cymru")
    with DagsterInstance.get() as instance:
        tick = Ticks(quarantined_return_alert_sensor, instance)
        tick()
        already = len(inbox.messages)  # returns quarantined before (none in the bundled sample)
        done = cli(home, "submit", str(BAD_RETURN), "--council", "W06000001", "--process")
        assert done.returncode == 1, done.stdout + done.stderr
        tick()
        assert len(inbox.messages) == already + 1
        tick()
        assert len(inbox.messages) == already + 1, "told once"
    mail = inbox.messages[-1]
    assert mail["To"] == "returns@datacymru.example, council@example.cymru"
    assert "W06000001" in mail["Subject"] and "ni dderbyniwyd" in mail["Subject"]
    text = mail.get_content()
    folder = sorted((home / "data" / "quarantine").iterdir())[-1]  # ids sort by time received
    assert str(folder / "feedback.html") in text
    assert "Beth:" in text and "Pam:" in text and "Ble i edrych:" in text
