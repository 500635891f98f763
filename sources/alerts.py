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

from sources.i18n import N_, _, gettext, language

WEBHOOK_ENV = "DATA_CYMRU_ALERT_WEBHOOK"
SMTP_ENV = "DATA_CYMRU_ALERT_SMTP_"
UI_URL_ENV = "DATA_CYMRU_UI_URL"
TIMEOUT_SECONDS = 20
# The headings of a message's lines.
WHAT, WHY, WHERE, RUN = N_("What: {what}"), N_("Why: {why}"), N_("Where to look: {where}"), N_("Run: {link}")


class AlertError(RuntimeError):
    """An alert could not be delivered; the message names the channel and what to check."""


@dataclass(frozen=True)
class Alert:
    """One event worth telling someone about.

    `what` says what failed, `why` why, `where` where to look (paths, commands), all in `lang`
    (the chosen language when the alert was made); a council's alert is English with the Welsh
    lines below (`subject_cy`, `lines_cy`).
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
    lang: str = field(default_factory=language)

    def text(self) -> str:
        """The message as a person reads it: English, then Welsh where given."""
        def say(msgid: str, **values: str) -> str:
            return gettext(msgid, self.lang).format(**values)

        lines = [self.subject, "", say(WHAT, what=self.what), say(WHY, why=self.why)]
        lines += [say(WHERE, where=w) for w in self.where]
        if self.link:
            lines.append(say(RUN, link=self.link))
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
        return Channel(_("webhook {url}").format(url=url), lambda alert: _post(url, alert))
    host = env.get(SMTP_ENV + "HOST", "").strip()
    if host:
        settings = _smtp_settings(env, host)
        return Channel(_("e-mail via {host}:{port}").format(host=host, port=settings["port"]),
                       lambda alert: _mail(settings, alert))
    logger = log or logging.getLogger("datacymru.alerts")
    return Channel(_("log"), lambda alert: logger.warning("ALERT %s", alert.text()))


def _post(url: str, alert: Alert) -> None:
    try:
        answer = requests.post(url, json=alert.payload(), timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise AlertError(_("alert not sent to the webhook {url} ({error}); check {setting} and that "
                           "the address is reachable").format(
            url=url, error=f"{type(exc).__name__}: {exc}", setting=WEBHOOK_ENV)) from exc
    if answer.status_code >= 300:
        raise AlertError(_("alert not sent: the webhook {url} answered {status} {body}; check "
                           "{setting}").format(url=url, status=answer.status_code,
                                               body=repr(answer.text[:200]), setting=WEBHOOK_ENV))


def _smtp_settings(env: Mapping[str, str], host: str) -> dict:
    def get(name: str, default: str = "") -> str:
        return env.get(SMTP_ENV + name, default).strip()

    port = get("PORT", "25")
    recipients = [a.strip() for a in get("TO").split(",") if a.strip()]
    if not port.isdigit() or not recipients or not get("FROM"):
        raise AlertError(_("{prefix}HOST is set, so alerts go by e-mail: also set {prefix}FROM, "
                           "{prefix}TO (comma-separated) and a numeric {prefix}PORT (got port "
                           "{port}, {count} recipient(s))").format(
            prefix=SMTP_ENV, port=repr(port), count=len(recipients)))
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
        raise AlertError(_("alert not e-mailed through {host}:{port} ({error}); check the "
                           "{prefix}* settings").format(
            host=settings["host"], port=settings["port"], error=f"{type(exc).__name__}: {exc}",
            prefix=SMTP_ENV)) from exc
