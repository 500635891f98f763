"""Alerts: one message per event, sent through the one channel the environment configures.

- `DATA_CYMRU_ALERT_WEBHOOK`: a URL that takes a JSON POST, as Slack's and Teams' incoming
  webhooks do (`{"text": ...}`; the same facts are also under `"datacymru"` for other tools).
- otherwise `DATA_CYMRU_ALERT_SMTP_HOST` (with `_PORT` (25), `_FROM`, `_TO` (comma-separated),
  and optionally `_USER`, `_PASSWORD`, `_STARTTLS=on`): an e-mail.
- with neither, the message is written to the log, so nothing is lost on a laptop.

`DATA_CYMRU_UI_URL` (e.g. `http://dagster.example:3000`) makes every message link to its run.
Plain Python: the sensors in `orchestration/alerts.py` decide when, this module says what.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

import requests

WEBHOOK_ENV = "DATA_CYMRU_ALERT_WEBHOOK"
SMTP_ENV = "DATA_CYMRU_ALERT_SMTP_"
UI_URL_ENV = "DATA_CYMRU_UI_URL"
TIMEOUT_SECONDS = 20


class AlertError(RuntimeError):
    """An alert could not be delivered; the message names the channel and what to check."""


@dataclass(frozen=True)
class Alert:
    """One event worth telling someone about.

    `what` says what failed, `why` why, `where` where to look (paths, commands); the Welsh
    lines are given where a council reads the message.
    """

    kind: str  # run_failed | gate_failed | dataset_stale | return_quarantined
    subject: str
    what: str
    why: str
    where: tuple[str, ...] = ()
    link: str | None = None
    subject_cy: str | None = None
    lines_cy: tuple[str, ...] = ()
    facts: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The message as a person reads it: English, then Welsh where given."""
        lines = [self.subject, "", f"What: {self.what}", f"Why: {self.why}"]
        lines += [f"Where to look: {w}" for w in self.where]
        if self.link:
            lines.append(f"Run: {self.link}")
        if self.subject_cy:
            lines += ["", self.subject_cy, *self.lines_cy]
        return "\n".join(lines)

    def payload(self) -> dict:
        """The JSON body of a webhook call."""
        return {"text": self.text(), "summary": self.subject,
                "datacymru": {"kind": self.kind, "subject": self.subject, "what": self.what,
                              "why": self.why, "where": list(self.where), "link": self.link,
                              **({"subject_cy": self.subject_cy, "lines_cy": list(self.lines_cy)}
                                 if self.subject_cy else {}),
                              **dict(self.facts)}}


def run_link(run_id: str, env: Mapping[str, str] | None = None) -> str | None:
    """The run's page in the Dagster UI, when `DATA_CYMRU_UI_URL` says where the UI is."""
    base = (os.environ if env is None else env).get(UI_URL_ENV, "").strip().rstrip("/")
    return f"{base}/runs/{run_id}" if base else None


@dataclass(frozen=True)
class Channel:
    """Where alerts go: `send` delivers one alert or raises `AlertError`."""

    name: str
    send: Callable[[Alert], None]


def channel_from_env(env: Mapping[str, str] | None = None,
                     log: logging.Logger | None = None) -> Channel:
    """The configured channel, read when an alert is sent (never at import)."""
    env = os.environ if env is None else env
    url = env.get(WEBHOOK_ENV, "").strip()
    if url:
        return Channel(f"webhook {url}", lambda alert: _post(url, alert))
    host = env.get(SMTP_ENV + "HOST", "").strip()
    if host:
        settings = _smtp_settings(env, host)
        return Channel(f"e-mail via {host}:{settings['port']}", lambda alert: _mail(settings, alert))
    logger = log or logging.getLogger("datacymru.alerts")
    return Channel("log", lambda alert: logger.warning("ALERT %s", alert.text()))


def _post(url: str, alert: Alert) -> None:
    try:
        answer = requests.post(url, json=alert.payload(), timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise AlertError(f"alert not sent to the webhook {url} ({type(exc).__name__}: {exc}); "
                         f"check {WEBHOOK_ENV} and that the address is reachable") from exc
    if answer.status_code >= 300:
        raise AlertError(f"alert not sent: the webhook {url} answered {answer.status_code} "
                         f"{answer.text[:200]!r}; check {WEBHOOK_ENV}")


def _smtp_settings(env: Mapping[str, str], host: str) -> dict:
    def get(name: str, default: str = "") -> str:
        return env.get(SMTP_ENV + name, default).strip()

    port = get("PORT", "25")
    recipients = [a.strip() for a in get("TO").split(",") if a.strip()]
    if not port.isdigit() or not recipients or not get("FROM"):
        raise AlertError(f"{SMTP_ENV}HOST is set, so alerts go by e-mail: also set {SMTP_ENV}FROM, "
                         f"{SMTP_ENV}TO (comma-separated) and a numeric {SMTP_ENV}PORT "
                         f"(got port {port!r}, {len(recipients)} recipient(s))")
    return {"host": host, "port": int(port), "from": get("FROM"), "to": recipients,
            "user": get("USER"), "password": get("PASSWORD"),
            "starttls": get("STARTTLS").lower() in ("on", "1", "true", "yes")}


def _mail(settings: dict, alert: Alert) -> None:
    message = EmailMessage()
    message["Subject"] = alert.subject + (f" / {alert.subject_cy}" if alert.subject_cy else "")
    message["From"] = settings["from"]
    message["To"] = ", ".join(settings["to"])
    message.set_content(alert.text())
    try:
        with smtplib.SMTP(settings["host"], settings["port"], timeout=TIMEOUT_SECONDS) as smtp:
            if settings["starttls"]:
                smtp.starttls()
            if settings["user"]:
                smtp.login(settings["user"], settings["password"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise AlertError(f"alert not e-mailed through {settings['host']}:{settings['port']} "
                         f"({type(exc).__name__}: {exc}); check the {SMTP_ENV}* settings") from exc
