"""Run-time settings, read from the environment when asked for (never at import time).

Also what every command needs before it touches state: the home checked (a directory, writable
when the command writes), and the warehouse opened the one way that waits for a DuckDB lock held
by another process and names a damaged file or a full disk in one sentence.
"""

from __future__ import annotations

import errno
import os
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from sources.i18n import N_, _

Mode = Literal["snapshot", "live"]

DEFAULT_URLS = {
    "statswales": "https://api.stats.gov.wales/v2",
    "nomis": "https://www.nomisweb.co.uk/api/v01",
    "ons": "https://api.beta.ons.gov.uk/v1",
}
URL_ENV = {
    "statswales": "DATA_CYMRU_STATSWALES_URL",
    "nomis": "DATA_CYMRU_NOMIS_URL",
    "ons": "DATA_CYMRU_ONS_URL",
}
SNAPSHOT_DIR = Path(__file__).parent / "snapshots"


# How long a writer waits for the warehouse lock by default, and at most how long a reader does.
DEFAULT_LOCK_WAIT = 60.0
READ_WAIT = 10.0


class SettingsError(ValueError):
    """A setting from the environment is invalid."""


@dataclass(frozen=True)
class Settings:
    """Where state lives and how to reach publishers."""

    home: Path
    mode: Mode = "snapshot"
    base_urls: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_URLS))
    contact: str = "opendata@datacymru.example"
    snapshot_dir: Path = SNAPSHOT_DIR
    # Per provider, (requests, seconds), kept exactly: an operator's explicit choice (a mirror, or a
    # limit agreed with the publisher). Empty means the published limits with a safety margin.
    rate_limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    # DuckDB spills to disk beyond this, so peak memory stays bounded whatever the data size.
    duckdb_memory_limit: str = "400MB"
    # Per provider: seconds one request may take, headers and body (`DATA_CYMRU_<P>_DEADLINE`),
    # and the largest body accepted (`DATA_CYMRU_<P>_MAX_BYTES`). Empty means the client's
    # defaults (`sources.http.DEFAULT_DEADLINE`, `DEFAULT_MAX_BYTES`: 120 s, 512 MB).
    deadlines: dict[str, float] = field(default_factory=dict)
    max_bytes: dict[str, int] = field(default_factory=dict)
    # A load that would leave a raw table with fewer than this share of its rows is refused
    # (`DATA_CYMRU_RAW_MIN_ROW_RATIO`); a load of no rows into a table that has rows always is.
    raw_min_row_ratio: float = 0.5
    # Seconds a writer waits for a warehouse lock held by another process before it gives up.
    lock_wait: float = DEFAULT_LOCK_WAIT

    @property
    def read_wait(self) -> float:
        """Seconds a reader (the CLI's audit and status commands) waits for a writer."""
        return min(self.lock_wait, READ_WAIT)

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def rate_limit_dir(self) -> Path:
        """The rate-limit windows every live client of a provider shares on this machine."""
        return self.home / ".ratelimit"

    @property
    def releases(self) -> Path:
        return self.home / "releases"

    @property
    def intake(self) -> Path:
        return self.home / "intake"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from `DATA_CYMRU_*` environment variables."""
        env = dict(os.environ if env is None else env)
        mode = env.get("DATA_CYMRU_MODE", "snapshot").strip().lower()
        if mode not in ("snapshot", "live"):
            raise SettingsError(_("DATA_CYMRU_MODE must be 'snapshot' or 'live', not {value}")
                                .format(value=repr(mode)))
        urls = {
            provider: env.get(var) or DEFAULT_URLS[provider] for provider, var in URL_ENV.items()
        }
        return cls(
            home=Path(env.get("DATA_CYMRU_HOME", "data")).resolve(),
            mode=mode,  # type: ignore[arg-type]
            base_urls={k: v.rstrip("/") for k, v in urls.items()},
            contact=env.get("DATA_CYMRU_CONTACT", cls.contact),
            snapshot_dir=Path(env.get("DATA_CYMRU_SNAPSHOT_DIR") or SNAPSHOT_DIR).resolve(),
            rate_limits={p: _rate(env, f"DATA_CYMRU_{p.upper()}_RATE_LIMIT") for p in DEFAULT_URLS
                         if env.get(f"DATA_CYMRU_{p.upper()}_RATE_LIMIT")},
            duckdb_memory_limit=env.get("DATA_CYMRU_DUCKDB_MEMORY_LIMIT", "400MB"),
            deadlines={p: _seconds(env, f"DATA_CYMRU_{p.upper()}_DEADLINE") for p in DEFAULT_URLS
                       if env.get(f"DATA_CYMRU_{p.upper()}_DEADLINE")},
            max_bytes={p: _size(env, f"DATA_CYMRU_{p.upper()}_MAX_BYTES") for p in DEFAULT_URLS
                       if env.get(f"DATA_CYMRU_{p.upper()}_MAX_BYTES")},
            raw_min_row_ratio=_ratio(env, "DATA_CYMRU_RAW_MIN_ROW_RATIO", cls.raw_min_row_ratio),
            lock_wait=_wait_seconds(env, "DATA_CYMRU_LOCK_WAIT", DEFAULT_LOCK_WAIT),
        )

    def check_home(self, *, write: bool) -> None:
        """The home is a directory (or can be made one), writable when the command writes."""
        home = self.home
        if home.exists() and not home.is_dir():
            raise SettingsError(_("DATA_CYMRU_HOME {home} is a file, not a directory: move the file "
                                  "aside or set DATA_CYMRU_HOME to another directory").format(home=home))
        if not home.exists():
            parent = next(p for p in home.parents if p.exists())
            if not parent.is_dir():
                raise SettingsError(_("DATA_CYMRU_HOME {home} cannot be created because {parent} is "
                                      "a file: move the file aside or set DATA_CYMRU_HOME to another "
                                      "directory").format(home=home, parent=parent))
            if write and not os.access(parent, os.W_OK | os.X_OK):
                raise SettingsError(_("DATA_CYMRU_HOME {home} does not exist and cannot be created "
                                      "in {parent}, which is read-only: create it yourself or set "
                                      "DATA_CYMRU_HOME to another directory").format(home=home,
                                                                                     parent=parent))
            return
        if write and not os.access(home, os.W_OK | os.X_OK):
            raise SettingsError(_("DATA_CYMRU_HOME {home} is read-only: make it writable for this "
                                  "user or set DATA_CYMRU_HOME to another directory").format(home=home))
        if write and self.warehouse.exists() and not os.access(self.warehouse, os.W_OK):
            raise SettingsError(_("the warehouse {warehouse} is read-only: make it writable for this "
                                  "user or set DATA_CYMRU_HOME to another directory")
                                .format(warehouse=self.warehouse))


def _rate(env: dict[str, str], name: str) -> tuple[int, float]:
    """`100/60` means at most 100 requests in any 60 seconds."""
    text = env[name]
    try:
        calls, period = text.split("/")
        return int(calls), float(period)
    except ValueError:
        raise SettingsError(_("{name} must look like '100/60' (requests/seconds), not {value}")
                            .format(name=name, value=repr(text))) from None


def _seconds(env: dict[str, str], name: str) -> float:
    """A positive number of seconds, e.g. `120` or `0.5`."""
    text = env[name]
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise SettingsError(_("{name} must be a positive number of seconds, not {value}")
                            .format(name=name, value=repr(text)))
    return value


SIZE_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}


def _size(env: dict[str, str], name: str) -> int:
    """A positive size in bytes: `1048576`, or with a unit, `512MB` (KB, MB, GB are powers of 1024)."""
    text = env[name]
    compact = text.strip().upper().replace(" ", "")
    number = compact.rstrip("KMGB")
    unit = compact[len(number):]
    try:
        value = int(float(number) * SIZE_UNITS[unit])
    except (KeyError, ValueError):
        value = 0
    if value <= 0:
        raise SettingsError(_("{name} must be a size such as 512MB, 64KB or 1048576, not {value}")
                            .format(name=name, value=repr(text)))
    return value


def _number(env: dict[str, str], name: str, default: float, ok: Callable[[float], bool],
            expected: str) -> float:
    """A number from the environment (unset: `default`) that `ok` accepts, or a sentence."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not ok(value):
        raise SettingsError(_("{name} must be {expected}, not {value}")
                            .format(name=name, expected=_(expected), value=repr(text)))
    return value


def _ratio(env: dict[str, str], name: str, default: float) -> float:
    """A share from 0 to 1; 0 turns the proportional check off."""
    return _number(env, name, default, lambda v: 0 <= v <= 1, N_("a number from 0 to 1 (e.g. 0.5)"))


def _wait_seconds(env: dict[str, str], name: str, default: float) -> float:
    """Seconds to wait (0 or more), e.g. `60`; unset means `default`."""
    return _number(env, name, default, lambda v: 0 <= v < float("inf"),
                   N_("a number of seconds such as 60"))


# --- the warehouse, opened by every reader and writer ------------------------------------------

class WarehouseError(RuntimeError):
    """The warehouse could not be used; the message is one sentence saying what to do."""


class WarehouseLocked(WarehouseError):
    """Another process held the warehouse lock for longer than we were willing to wait."""


class WarehouseDamaged(WarehouseError):
    """The warehouse file is not a DuckDB database, or is damaged."""


# DuckDB: `Could not set lock on file "<path>": Conflicting lock is held in <program> (PID <n>)`
_LOCK = re.compile(r'Could not set lock on file "(?P<path>[^"]*)": Conflicting lock is held in '
                   r'(?P<program>.*?) \(PID (?P<pid>\d+)\)')
_DAMAGED = ("not a valid DuckDB database file", "Corrupt database file",
            "Could not read enough bytes from file", "does not match stored checksum")


def lock_holder(error: BaseException | str) -> str | None:
    """'PID n (what it runs)' from DuckDB's lock error, or None if it is not a lock error."""
    found = _LOCK.search(str(error))
    if not found:
        return None
    pid, program = found["pid"], found["program"]
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        program = " ".join(" ".join(argv).split())[:100] or program
    except OSError:
        pass
    return f"PID {pid} ({program})"


def is_damaged(error: BaseException | str) -> bool:
    return any(text in str(error) for text in _DAMAGED)


def damaged_sentence(path: Path | str) -> str:
    return _("the warehouse {path} is not a DuckDB database or is damaged; restore it from backup "
             "or move it aside to rebuild").format(path=path)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def connect_warehouse(settings: Settings, *, read_only: bool = False, wait: float | None = None,
                      log: Callable[[str], None] = _say,
                      sleep: Callable[[float], None] = time.sleep,
                      clock: Callable[[], float] = time.monotonic) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse, waiting up to `wait` seconds for another process's lock.

    DuckDB lets one process write a file, or several read it, never both. A lock held by another
    process is retried with growing, jittered pauses; the first wait is logged once, naming the
    holder, and giving up raises `WarehouseLocked` naming it too. A file that is not a DuckDB
    database raises `WarehouseDamaged`. `wait` defaults to the writer's `lock_wait`, or the
    shorter `read_wait` for a read-only connection.
    """
    if wait is None:
        wait = settings.read_wait if read_only else settings.lock_wait
    path = settings.warehouse
    deadline, pause, told = clock() + wait, 0.05, False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only,
                                  config={"memory_limit": settings.duckdb_memory_limit})
        except duckdb.Error as exc:
            if is_damaged(exc):
                raise WarehouseDamaged(damaged_sentence(path)) from exc
            holder = lock_holder(exc)
            if holder is None:
                raise
            left = deadline - clock()
            if left <= 0:
                raise WarehouseLocked(_(
                    "the warehouse {path} is locked by {holder}, still after {seconds} s: let that "
                    "process finish (or stop it) and run again, or wait longer with "
                    "DATA_CYMRU_LOCK_WAIT").format(path=path, holder=holder, seconds=f"{wait:g}")) from None
            if not told:
                log(_("waiting up to {seconds} s for the warehouse {path}: {holder} holds its lock")
                    .format(seconds=f"{wait:g}", path=path, holder=holder))
                told = True
            sleep(min(left, pause * random.uniform(0.5, 1.0)))
            pause = min(pause * 2, 2.0)


def probe_warehouse(settings: Settings) -> None:
    """Raise `WarehouseDamaged` now if the warehouse file exists and is not a usable database.

    A lock held by another process is no sign of damage: the writer that needs it will wait.
    """
    if not settings.warehouse.exists():
        return
    try:
        connect_warehouse(settings, read_only=True, wait=0, log=lambda _: None).close()
    except WarehouseLocked:
        pass


# --- failures of the machine rather than of the data ---------------------------------------------

_ERRNO = re.compile(r"\[Errno (?P<errno>\d+)\] (?P<strerror>[^:]+)(?:: '(?P<path>[^']*)')?")
_QUOTED_PATH = re.compile(r'"(?P<path>/[^"]+)"')
OS_ERRORS = {"OSError", "IOError", "PermissionError", "FileNotFoundError", "FileExistsError",
             "IsADirectoryError", "NotADirectoryError", "BlockingIOError", "InterruptedError"}


def disk_full_sentence(path: str | os.PathLike | None) -> str:
    if path:
        return _("disk full writing {path}: free space on that disk (or set DATA_CYMRU_HOME to a "
                 "disk with room) and run again").format(path=path)
    return _("disk full: free space on that disk (or set DATA_CYMRU_HOME to a disk with room) and "
             "run again")


def machine_failure(cls_name: str, message: str) -> tuple[str, str] | None:
    """("disk_full" | "os_error", sentence) when an error is the machine's, not the data's.

    `cls_name` and `message` are an exception's class name and text, as Dagster records a failed
    step: `OSError(ENOSPC)` anywhere, DuckDB's "No space left on device", or any other `OSError`.
    """
    text = " ".join(message.split())
    found = _ERRNO.search(text)
    full = ("No space left on device" in text or "Disk quota exceeded" in text
            or (found is not None and int(found["errno"]) in (errno.ENOSPC, errno.EDQUOT)))
    if full:
        path = (found["path"] if found and found["path"] else None)
        if path is None and (quoted := _QUOTED_PATH.search(text)):
            path = quoted["path"]
        return "disk_full", disk_full_sentence(path)
    if cls_name in OS_ERRORS:
        what = (f"{found['strerror']}: {found['path']}" if found and found["path"]
                else text.removeprefix(f"{cls_name}: "))
        return "os_error", _("{what} (a problem of the machine, not of the data)").format(what=what)
    return None

