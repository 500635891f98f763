"""Alert sensors: a failed run, a failed blocking gate, a stale dataset, a quarantined return.

Each sends one message per event through the configured channel (`sources/alerts.py`) and keeps
a cursor, so no event is told twice; a message that could not be sent is retried at the next
tick. What each says is in `sources/alert_messages.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    RunFailureSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)

from orchestration.assets.sources import raw_key
from orchestration.automation import sensor_status
from orchestration.freshness import FRESHNESS_CHECK
from sources import alert_messages
from sources.alerts import Alert, AlertError, channel_from_env
from sources.catalogue import catalogue
from sources.i18n import _, both
from sources.publish import blocked_reports
from sources.settings import Settings

INTERVAL = 60
WELSH_AFTER = "\n\nCymraeg: "  # Dagster's descriptions carry both languages, as the dbt models' do
HISTORY = 100  # failed executions read per check and tick; more than a tick ever sees


def _deliver(context: SensorEvaluationContext, alerts: list[Alert]) -> tuple[int, str]:
    """Send in order; stop at the first that fails. (how many were sent, a sentence for the tick)."""
    channel = channel_from_env(log=context.log)
    for sent, alert in enumerate(alerts):
        try:
            channel.send(alert)
        except AlertError as exc:
            context.log.error(str(exc))
            return sent, _("sent {sent} of {count} alert(s) through {channel}; {error}").format(
                sent=sent, count=len(alerts), channel=channel.name, error=exc)
    return len(alerts), _("sent {count} alert(s) through {channel}").format(count=len(alerts),
                                                                             channel=channel.name)


def _tell(context: SensorEvaluationContext, pending: list[tuple[Alert, str]], done: str,
          quiet: str) -> SkipReason:
    """Send each alert, then keep the cursor as far as the alerts sent reached.

    `pending` pairs each alert with the cursor to keep once it (and those before it) is sent;
    `done` is the cursor once all are sent (it may also pass events that needed no alert). A
    message the channel refused is tried again at the next tick, with those after it.
    """
    sent, said = _deliver(context, [alert for alert, _after in pending])
    if sent == len(pending):
        context.update_cursor(done)
    elif sent:
        context.update_cursor(pending[sent - 1][1])
    return SkipReason(said if pending else quiet)


# Every code location: runs `datacymru` executes in its own process carry no code location, and
# would otherwise never be matched to this sensor.
@run_failure_sensor(name="run_failure_alert_sensor", default_status=sensor_status(),
                    monitor_all_code_locations=True,
                    minimum_interval_seconds=INTERVAL,
                    description=WELSH_AFTER.join(both(
                        "Sends one alert for every failed run: the job, its error and a link to the "
                        "run (DATA_CYMRU_UI_URL).")))
def run_failure_alert_sensor(context: RunFailureSensorContext) -> None:
    run = context.dagster_run
    steps = [_("step {step}: {error}").format(step=e.step_key,
                                               error=_one_line(e.event_specific_data.error.message))
             for e in context.get_step_failure_events() if e.event_specific_data.error]
    error = "; ".join(steps) or context.failure_event.message or ""
    alert = alert_messages.run_failed(run.run_id, run.job_name, error, dict(run.tags))
    channel = channel_from_env(log=context.log)
    channel.send(alert)  # raising fails the tick, and Dagster offers the run again next time


def _one_line(text: str) -> str:
    """A step's error on one line (Dagster's messages name the failed checks on their next lines)."""
    return " ".join((text or "").split())[:400] or _("failed")


def _failed_since(context: SensorEvaluationContext, keys: Iterable[AssetCheckKey],
                  after: int) -> list[AssetCheckExecutionRecord]:
    """Failed executions of `keys` recorded after storage id `after`, oldest first."""
    storage = context.instance.event_log_storage
    records = [r for key in keys for r in storage.get_asset_check_execution_history(
        key, limit=HISTORY, status={AssetCheckExecutionRecordStatus.FAILED}) if r.id > after]
    return sorted(records, key=lambda r: r.id)


def _cursor(context: SensorEvaluationContext) -> dict:
    return json.loads(context.cursor) if context.cursor else {"after": 0}


@sensor(name="blocking_gate_alert_sensor", default_status=sensor_status(),
        minimum_interval_seconds=INTERVAL,
        description=WELSH_AFTER.join(both(
            "Sends one alert per run and asset when blocking checks (gates) fail: which checks, the "
            "run, and the report of the blocked release attempt.")))
def blocking_gate_alert_sensor(context: SensorEvaluationContext) -> SkipReason:
    cursor = _cursor(context)
    keys = [k for k in context.repository_def.asset_graph.asset_check_keys if k.name != FRESHNESS_CHECK]
    groups: dict[tuple[str, str], list[AssetCheckExecutionRecord]] = {}
    for record in _failed_since(context, keys, cursor["after"]):
        evaluation = record.event.asset_check_evaluation if record.event else None
        if evaluation is not None and evaluation.severity == AssetCheckSeverity.ERROR:
            groups.setdefault((record.run_id, record.key.asset_key.to_user_string()), []).append(record)
    releases = Settings.from_env().releases
    pending = []
    for (run_id, asset), records in groups.items():
        reports = blocked_reports(releases, asset.rsplit("/", 1)[-1])
        pending.append((alert_messages.gate_failed(asset, [r.key.name for r in records], run_id,
                                                   reports[0] if reports else None),
                        json.dumps({"after": max(r.id for r in records)})))
    newest = max((r.id for rs in groups.values() for r in rs), default=cursor["after"])
    return _tell(context, pending, json.dumps({"after": max(newest, cursor["after"])}),
                 _("no blocking check failed since the last tick"))


@sensor(name="stale_dataset_alert_sensor", default_status=sensor_status(),
        minimum_interval_seconds=INTERVAL,
        description=WELSH_AFTER.join(both(
            "Sends one alert when a dataset's freshness check fails (its raw table is older than the "
            "catalogue's max_age_days), once per stale spell.")))
def stale_dataset_alert_sensor(context: SensorEvaluationContext) -> SkipReason:
    cursor = _cursor(context)
    told: dict[str, float] = cursor.get("told", {})
    datasets = {raw_key(d): d for d in catalogue().values()}
    keys = [AssetCheckKey(k, FRESHNESS_CHECK) for k in datasets]
    pending, newest = [], cursor["after"]
    for record in _failed_since(context, keys, cursor["after"]):
        newest = max(newest, record.id)
        dataset = datasets[record.key.asset_key]
        metadata = record.event.asset_check_evaluation.metadata if record.event else {}
        updated = getattr(metadata.get("dagster/last_updated_timestamp"), "value", None) or 0.0
        if told.get(dataset.key) == updated:
            continue  # the same stale spell, already told: the table has not been updated since
        told[dataset.key] = updated
        alert = alert_messages.dataset_stale(
            dataset, datetime.fromtimestamp(updated, UTC) if updated else None,
            # as of the check's evaluation, which is when it found the table too old
            datetime.fromtimestamp(record.event.timestamp if record.event else record.create_timestamp,
                                   UTC))
        pending.append((alert, json.dumps({"after": record.id, "told": told})))
    return _tell(context, pending, json.dumps({"after": newest, "told": told}),
                 _("no dataset went stale since the last tick"))


@sensor(name="quarantined_return_alert_sensor", default_status=sensor_status(),
        minimum_interval_seconds=INTERVAL,
        description=WELSH_AFTER.join(both(
            "Sends one bilingual alert per council return quarantined in <home>/quarantine/, with its "
            "feedback report.")))
def quarantined_return_alert_sensor(context: SensorEvaluationContext) -> SkipReason:
    told: list[str] = json.loads(context.cursor) if context.cursor else []
    folder = Settings.from_env().quarantine
    new = sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in told) \
        if folder.is_dir() else []
    # A folder is complete once its feedback report is written (the last step of a quarantine).
    new = [p for p in new if (p / "feedback.html").exists()]
    pending = [(alert_messages.return_quarantined(p), json.dumps(told + [q.name for q in new[:i + 1]]))
               for i, p in enumerate(new)]
    return _tell(context, pending, json.dumps(told + [p.name for p in new]),
                 _("no return quarantined since the last tick"))


ALERT_SENSORS = [run_failure_alert_sensor, blocking_gate_alert_sensor, stale_dataset_alert_sensor,
                 quarantined_return_alert_sensor]
