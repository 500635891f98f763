"""The alert channel is chosen from the environment; a refused message is sent again, once."""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context

from orchestration.alerts import quarantined_return_alert_sensor
from sources.alerts import Alert, AlertError, channel_from_env
from sources.returns import ensure_tables, scan_intake, submit
from sources.settings import Settings, connect_warehouse

BAD_RETURN = Path(__file__).resolve().parents[1] / "fixtures" / "returns" / "fail" / "negative_value.csv"
ALERT = Alert(kind="run_failed", subject="s", what="w", why="y")


def test_the_webhook_wins_then_smtp_then_the_log(caplog):
    assert channel_from_env({"DATA_CYMRU_ALERT_WEBHOOK": "http://h/x",
                             "DATA_CYMRU_ALERT_SMTP_HOST": "mail"}).name == "webhook http://h/x"
    smtp = {"DATA_CYMRU_ALERT_SMTP_HOST": "mail", "DATA_CYMRU_ALERT_SMTP_PORT": "2525",
            "DATA_CYMRU_ALERT_SMTP_FROM": "a@b", "DATA_CYMRU_ALERT_SMTP_TO": "c@d"}
    assert channel_from_env(smtp).name == "e-mail via mail:2525"
    log = channel_from_env({})
    assert log.name == "log"
    with caplog.at_level(logging.WARNING, logger="datacymru.alerts"):
        log.send(ALERT)
    assert "ALERT s" in caplog.text


def test_an_incomplete_smtp_setting_is_named():
    with pytest.raises(AlertError, match="DATA_CYMRU_ALERT_SMTP_FROM, DATA_CYMRU_ALERT_SMTP_TO"):
        channel_from_env({"DATA_CYMRU_ALERT_SMTP_HOST": "mail"})


def test_a_refused_alert_is_sent_again_at_the_next_tick_and_then_never(tmp_path, monkeypatch, httpserver):
    monkeypatch.setenv("DATA_CYMRU_HOME", str(tmp_path))
    monkeypatch.setenv("DATA_CYMRU_RETURNS_SETTLE_SECONDS", "0")
    monkeypatch.setenv("DATA_CYMRU_ALERT_WEBHOOK", httpserver.url_for("/hook"))
    settings = Settings.from_env()
    with connect_warehouse(settings) as con:
        ensure_tables(con)
    submit(BAD_RETURN, "W06000001", settings)
    [done] = scan_intake(settings, partial(connect_warehouse, settings))
    assert done.status == "quarantined"

    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("busy", status=503)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    with DagsterInstance.ephemeral() as instance:
        first = quarantined_return_alert_sensor.evaluate_tick(build_sensor_context(instance=instance))
        assert "sent 0 of 1" in first.skip_message and "503" in first.skip_message
        assert first.cursor is None
        second = quarantined_return_alert_sensor.evaluate_tick(
            build_sensor_context(instance=instance, cursor=first.cursor))
        third = quarantined_return_alert_sensor.evaluate_tick(
            build_sensor_context(instance=instance, cursor=second.cursor))
    assert "sent 1 alert" in second.skip_message and "no return quarantined" in third.skip_message
    assert len(httpserver.log) == 2  # the refused one, then the one delivered
    body = json.loads(httpserver.log[-1][0].get_data())
    assert body["datacymru"]["kind"] == "return_quarantined"
    assert body["datacymru"]["council"] == "W06000001"
    assert "Pam:" in body["text"] and "feedback.html" in body["text"]
