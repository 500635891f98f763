"""`datacymru`: everything a person does from a shell.

A mistake in the arguments or settings, or a failure while running, is one line on stderr naming
what is wrong and what to do: exit code 2 for usage (arguments, settings, the home), 1 for a
failure at run time. `--debug` adds the full trace and Dagster's own log.
"""

from __future__ import annotations

import argparse
import csv
import errno
import json
import os
import shutil
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import duckdb

from sources.catalogue import catalogue
from sources.gates.marts import mart_names
from sources.returns.commands import add_commands
from sources.settings import (
    Settings,
    SettingsError,
    WarehouseError,
    connect_warehouse,
    damaged_sentence,
    disk_full_sentence,
    is_damaged,
    lock_holder,
    machine_failure,
    probe_warehouse,
)
from sources.snapshot import SAMPLE_NOTICE

INSTANCE_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"
# Commands that write to the home; the others only read it.
WRITERS = {"refresh", "publish", "submit"}
SINCE_FORMS = ("YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], optionally with a UTC offset, "
               "e.g. 2026-01-01 or 2026-01-01T09:30+01:00")


class UsageError(Exception):
    """Bad arguments or settings (exit code 2); the message is one sentence."""


class CommandFailed(Exception):
    """A failure at run time (exit code 1), already said in one sentence."""


class Parser(argparse.ArgumentParser):
    """argparse whose mistakes are one line (exit code 2), never a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}; see `{self.prog} --help`")


def iso_since(text: str) -> str:
    """`--since`: an ISO 8601 date or date and time, as DuckDB's TIMESTAMPTZ reads it."""
    try:
        return datetime.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date or time; use {SINCE_FORMS}") from None


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def _ensure_dagster_home() -> Path:
    """`DAGSTER_HOME` (default `./.dagster_home`) with the project's instance settings."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve())))
    if home.exists() and not home.is_dir():
        raise UsageError(f"DAGSTER_HOME {home} is a file, not a directory: move the file aside or "
                         "set DAGSTER_HOME to another directory")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() and INSTANCE_YAML.exists():
        shutil.copyfile(INSTANCE_YAML, config)
    return home


def _check_records_match_warehouse(settings: Settings, what_to_do: str) -> None:
    """Dagster's records (`DAGSTER_HOME`) and the warehouse they describe belong to one home.

    Records of built seeds and marts that the warehouse does not have mean the home moved without
    its Dagster records, or `DAGSTER_HOME` is another home's: nothing would be rebuilt.
    """
    from dagster import DagsterInstance

    from orchestration.assets.dbt import dbt_models
    from orchestration.staleness import never_built

    keys = {k for k in dbt_models.keys if k.path[0] in ("seeds", "marts")}
    built = keys - never_built(DagsterInstance.get(), keys)
    if not built:
        return
    tables: set[str] = set()
    if settings.warehouse.exists():
        with connect_warehouse(settings, read_only=True, wait=settings.lock_wait) as con:
            tables = {f"{schema}.{name}" for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
    missing = sorted(f"{k.path[0]}.{k.path[-1]}" for k in built
                     if f"{k.path[0]}.{k.path[-1]}" not in tables)
    if missing:
        raise UsageError(
            f"DAGSTER_HOME {os.environ['DAGSTER_HOME']} records builds the warehouse "
            f"{settings.warehouse} does not have (e.g. {missing[0]}): the home moved without its "
            f"Dagster records, or they are another home's; point DATA_CYMRU_HOME and DAGSTER_HOME "
            f"at one home's pair, or {what_to_do}")


def _log_level(args: argparse.Namespace) -> str:
    """Dagster's own console log only with `--debug`: the summary says what happened."""
    return "INFO" if getattr(args, "debug", False) else "CRITICAL"


def _machine_failure(outcomes: dict) -> None:
    """After the summary: a step the machine failed (a full disk) is the command's one sentence."""
    failed = [o for k, o in outcomes.items() if k.startswith("step:") and o.cause]
    if failed:
        raise CommandFailed(failed[0].error)


def cmd_refresh(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    known = catalogue()
    unknown = [d for d in args.dataset or [] if d not in known]
    if unknown:
        raise UsageError(f"unknown dataset id(s): {', '.join(unknown)}; choose from "
                         f"{', '.join(known)}")
    _ensure_dagster_home()
    if not args.force:
        _check_records_match_warehouse(settings, "rebuild this home with `datacymru refresh --force`")
    print(f"Data Cymru refresh: mode={settings.mode}, home={settings.home}")
    if settings.mode == "snapshot":
        print(SAMPLE_NOTICE)
    from orchestration.runner import refresh

    done = refresh(args.dataset or None, force=args.force, log_level=_log_level(args))
    ok, outcomes = done.ok, done.outcomes
    for note in done.recovered:
        print(f"recovered: {note}")
    for mart in done.unreleased:
        print(f"{mart}: its current release does not hold the mart's content (an interrupted or "
              "blocked publication); publishing it now")
    rows = []
    for key in args.dataset or known:
        raw = outcomes.get(f"raw/{key}")
        failure = next((o for k, o in outcomes.items() if k.startswith("step:") and key in k), None)
        if raw:
            status = "unchanged" if raw.metadata.get("skipped_unchanged") else "loaded"
            files = raw.metadata.get("archive_files", 1)
            rows.append([key, raw.metadata.get("dagster/row_count", ""),
                         f"{str(raw.metadata.get('archive_sha256', ''))[:12]} ({files} files)", status])
        else:
            rows.append([key, "", "", f"FAILED: {failure.error if failure else 'not run'}"])
    print()
    print(_table(rows, ["dataset", "rows", "archive sha256", "status"]))
    print()
    if done.rebuilt:
        models = [k for k in done.rebuilt if not k.startswith("seeds/")]
        print(f"dbt: {len(done.rebuilt)} asset(s) rebuilt ({len(models)} models), e.g. "
              + "; ".join(f"{k} ({why})" for k, why in list(done.rebuilt.items())[:3]))
    else:
        print("dbt: nothing to rebuild, every model is up to date with its inputs and code "
              "(refresh --force rebuilds)")
    print()
    _print_releases(outcomes, ok, done.blocked)
    runs = ", ".join(done.run_ids)
    print(f"\nDagster run(s) {runs}: {'succeeded' if ok else 'FAILED'}")
    _machine_failure(outcomes)
    return 0 if ok else 1


def _print_releases(outcomes: dict, run_ok: bool, blocked: dict[str, str] | None = None) -> None:
    """One screen: per mart its rows, headline figures and release; then gates by principle."""
    from orchestration.assets.gates import MARTS, release_key
    from sources.headlines import headlines

    settings = Settings.from_env()
    if not settings.warehouse.exists():
        return
    by_principle: dict[str, dict[str, int]] = {}
    steps = {k: o for k, o in outcomes.items() if k.startswith("step:")}
    with connect_warehouse(settings, read_only=True) as con:
        for mart in MARTS:
            release = outcomes.get(release_key(mart).to_user_string())
            failure = next((o for k, o in steps.items() if mart in k), None)
            print(f"== {mart}")
            for line in headlines(con, mart, sample=settings.mode == "snapshot"):
                print(f"   {line}")
            if release:
                counts = int(release.metadata.get("checks", 0))
                by_outcome = release.metadata.get("checks_by_outcome") or {}
                print(f"   RELEASED {release.metadata.get('release_id')}: {counts} checks: "
                      + ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in by_outcome.items() if n))
                meta = _release_metadata(settings, mart, release.metadata.get("release_id"))
                for principle, counts in (meta.get("gates", {}).get("by_principle") or {}).items():
                    total = by_principle.setdefault(principle, {})
                    for outcome, n in counts.items():
                        total[outcome] = total.get(outcome, 0) + n
            elif failure:
                print(f"   NO RELEASE: {failure.error}")
            elif mart in (blocked or {}):
                print(f"   NO RELEASE: blocked, its source {blocked[mart]} failed to load (see above)")
            else:
                latest = settings.releases / mart / "latest"
                current = latest.read_text(encoding="utf-8").strip() if latest.exists() else "none"
                print(f"   no new release ({_why_no_release(outcomes, run_ok)}); "
                      f"current release: {current}")
    _print_run_notes(outcomes)
    if by_principle:
        print("\nGates behind the new releases, by Code of Practice principle:")
        print(_table([[p, c.get("passed", 0), c.get("not_applicable", 0), c.get("warned", 0),
                       c.get("failed", 0) + c.get("error", 0)] for p, c in sorted(by_principle.items())],
                     ["principle", "passed", "not applicable", "warned", "failed"]))


def _why_no_release(outcomes: dict, run_ok: bool) -> str:
    """Why a mart has no new release; a machine failure is never blamed on the data checks."""
    if run_ok:
        return "nothing changed upstream"
    machine = next((o for k, o in outcomes.items() if k.startswith("step:") and o.cause), None)
    blocking = any(k.startswith("check:") and o.error == "blocking check failed"
                   for k, o in outcomes.items())
    if machine and not blocking:
        what = "a full disk" if machine.cause == "disk_full" else "an error of the machine"
        return f"the run stopped on {what}, not on a data check: see the steps that failed below"
    return "an upstream step or blocking check failed, listed below"


def _print_run_notes(outcomes: dict) -> None:
    """The steps that failed, what the run warned of, the checks that did not pass."""
    steps = [o for k, o in outcomes.items() if k.startswith("step:")]
    if steps:
        print("\nSteps that failed:")
        for step in steps:
            print(f"   {step.asset:<22} {step.error}")
    warnings = [o for k, o in outcomes.items() if k.startswith("warning:")]
    if warnings:
        print("\nWarnings and errors the steps logged:")
        for warning in warnings:
            print(f"   {warning.asset:<22} {warning.error}")
    failed_checks = [o for k, o in outcomes.items() if k.startswith("check:")]
    if failed_checks:
        print("\nChecks that did not pass in this run (`datacymru audit checks --failed` has details):")
        for check in sorted(failed_checks, key=lambda o: o.asset):
            print(f"   {check.error:<22} {check.asset}")


def _release_metadata(settings: Settings, mart: str, release_id: str | None) -> dict:
    path = settings.releases / mart / str(release_id) / "metadata.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _process_through_dagster(settings: Settings, target: Path) -> dict | None:
    """`submit --process`: materialise the council returns asset, so Dagster records the change."""
    from orchestration.assets.returns import RETURNS_KEY
    from orchestration.runner import COMMAND_TAG, run_assets
    from sources.returns import list_submissions

    _ensure_dagster_home()
    _ok, outcomes, _run_id = run_assets([RETURNS_KEY], tags={COMMAND_TAG: "submit"},
                                        log_level="CRITICAL")
    _machine_failure(outcomes)
    failed = [o for k, o in outcomes.items() if k.startswith("step:")]
    if failed:
        raise CommandFailed(f"{target.name} was not processed: {failed[0].error}")
    with connect_warehouse(settings, read_only=True) as con:
        mine = [r for r in list_submissions(con) if r["file_name"] == target.name]
    return mine[-1] if mine else None


def cmd_publish(args: argparse.Namespace) -> int:
    """Re-run the gates of marts and publish them, without fetching or rebuilding."""
    from orchestration.assets.gates import MARTS
    from orchestration.runner import publish

    _ensure_dagster_home()
    _check_records_match_warehouse(Settings.from_env(),
                                   "rebuild this home with `datacymru refresh --force`")
    marts = args.mart or list(MARTS)
    ok, outcomes, run_id = publish(marts, log_level=_log_level(args))
    _print_releases(outcomes, ok)
    print(f"\nDagster run {run_id}: {'succeeded' if ok else 'FAILED'}")
    _machine_failure(outcomes)
    return 0 if ok else 1


def _emit(rows: list[dict], fmt: str, columns: list[str]) -> None:
    if fmt == "json":
        print(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: r.get(k) for k in columns} for r in rows)
    else:
        print(_table([[str(r.get(c, ""))[:60] for c in columns] for r in rows], columns))


def _read_only() -> duckdb.DuckDBPyConnection:
    """A short read-only connection (open, query, close), waiting briefly for a writer."""
    settings = Settings.from_env()
    if not settings.warehouse.exists():
        raise UsageError(f"no warehouse at {settings.warehouse}: run `datacymru refresh` first")
    return connect_warehouse(settings, read_only=True)


def cmd_audit_checks(args: argparse.Namespace) -> int:
    from sources.gates.audit import query_checks

    with _read_only() as con:
        rows = query_checks(con, asset=args.asset, principle=args.principle, since=args.since,
                            run_id=args.run, failed_only=args.failed)
    for row in rows:
        for key in ("observed", "failing_examples", "data_versions"):
            if isinstance(row.get(key), str) and args.format == "json":
                row[key] = json.loads(row[key])
    _emit(rows, args.format, ["checked_at", "asset_key", "check_name", "gate", "engine",
                              "principle", "standard", "severity", "outcome", "examined", "run_id"]
          if args.format == "table" else list(rows[0]) if rows else ["check_name"])
    return 0


def cmd_audit_release(args: argparse.Namespace) -> int:
    from sources.gates.audit import release_checks

    with _read_only() as con:
        cursor = con.execute("SELECT * FROM audit.releases WHERE release_id = ?", [args.release_id])
        names = [d[0] for d in cursor.description]
        found = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        checks = release_checks(con, args.release_id)
    if not found:
        raise UsageError(f"no release {args.release_id!r} in audit.releases: release ids are the "
                         f"folder names under {Settings.from_env().releases}/<mart>/")
    release = found[0]
    release["path"] = str(_release_dir(release))
    metadata = json.loads((Path(release["path"]) / "metadata.json").read_text(encoding="utf-8"))
    if args.format == "json":
        print(json.dumps({"release": release, "checks": checks, "metadata": metadata}, indent=2,
                         default=str, ensure_ascii=False))
        return 0
    print(f"Release {release['release_id']} of {release['mart']} ({release['status_label']})")
    print(f"created {release['created_at']}, code {release['code_version']}, path {release['path']}")
    print(f"{len(checks)} checks: {release['gates_passed']} passed, {release['gates_warned']} warned, "
          f"{release['gates_failed']} failed; {release['revisions']} revised value(s)\n")
    _emit(checks, "table", ["asset_key", "check_name", "gate", "engine", "principle", "standard",
                            "severity", "outcome", "examined", "checked_at"])
    print()
    _emit([{**s, "archive_sha256": ", ".join(h[:12] for h in s["archive_sha256"])}
           for s in metadata["sources"]], "table",
          ["dataset", "provider", "data_version", "archive_sha256", "retrieved_at"])
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Re-hash the archive and the releases and walk the audit chains; 1 if anything changed."""
    from sources.gates.verify import render, verify

    result = verify(Settings.from_env())
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2, default=str, ensure_ascii=False))
    else:
        print(render(result))
    return 0 if result.ok else 1


def _release_dir(release: dict) -> Path:
    """Where a release is now: as recorded, or in this home if the home has moved since."""
    # Kept relative to the home (rows written before hold absolute paths).
    recorded = Settings.from_env().home / release["path"]
    if (recorded / "metadata.json").exists():
        return recorded
    here = Settings.from_env().releases / release["mart"] / release["release_id"]
    if (here / "metadata.json").exists():
        return here
    where = (f"at {recorded} and is not in this home ({here}) either" if recorded != here
             else f"at {here}, which is missing")
    raise CommandFailed(f"release {release['release_id']} is recorded {where}: restore its folder "
                        "from backup, or set DATA_CYMRU_HOME to the home that holds it")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="datacymru", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true",
                        help="on failure, print the full trace and Dagster's own log "
                             "(accepted anywhere on the command line)")
    sub = parser.add_subparsers(dest="command", required=True)
    refresh = sub.add_parser("refresh", help="fetch, load, build, gate and publish")
    refresh.add_argument("--dataset", action="append", metavar="ID",
                         help="catalogue dataset id (repeatable); default: every dataset")
    refresh.add_argument("--force", action="store_true",
                         help="rebuild the marts and re-run every gate even if no input changed")
    refresh.set_defaults(func=cmd_refresh)

    add_commands(sub, process_now=_process_through_dagster)  # submit, submissions

    publish = sub.add_parser("publish", help="re-run the gates of marts and publish releases")
    publish.add_argument("--mart", action="append", choices=mart_names(), metavar="NAME",
                         help=f"mart (repeatable): {', '.join(mart_names())}; default: all")
    publish.set_defaults(func=cmd_publish)

    audit = sub.add_parser("audit", help="the audit trail of gates and releases").add_subparsers(
        dest="audit_command", required=True)
    checks = audit.add_parser("checks", help="history of every gate execution, newest first")
    checks.add_argument("--asset", help="asset key, e.g. marts/mart_performance_framework")
    checks.add_argument("--principle", help="Code of Practice 2.x principle, e.g. Q3 or Q3.3")
    checks.add_argument("--since", type=iso_since, help=f"checks from then on: {SINCE_FORMS}")
    checks.add_argument("--run", help="a Dagster run id")
    checks.add_argument("--failed", action="store_true", help="only gates that did not pass")
    checks.add_argument("--format", choices=("table", "csv", "json"), default="table")
    checks.set_defaults(func=cmd_audit_checks)
    release = audit.add_parser("release", help="one release: gates, sources, revisions")
    release.add_argument("release_id")
    release.add_argument("--format", choices=("table", "json"), default="table")
    release.set_defaults(func=cmd_audit_release)
    verify = audit.add_parser("verify", help="check that the archive, releases and audit rows "
                                             "are as they were written (exit 1 if not)")
    verify.add_argument("--format", choices=("table", "json"), default="table")
    verify.set_defaults(func=cmd_audit_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args([a for a in argv if a != "--debug"])
        args.debug = debug
        settings = Settings.from_env()
        settings.check_home(write=args.command in WRITERS)
        if args.command in WRITERS:
            probe_warehouse(settings)
        return args.func(args)
    except KeyboardInterrupt:
        print("datacymru: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure becomes one sentence
        code, sentence = explain(exc)
        if debug and not isinstance(exc, UsageError):
            traceback.print_exc()
        print(sentence if sentence.startswith("datacymru") else f"datacymru: {sentence}",
              file=sys.stderr)
        return code


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from or during, outermost first."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def explain(exc: BaseException) -> tuple[int, str]:
    """(exit code, one sentence) for any failure of a command."""
    if isinstance(exc, UsageError | SettingsError):
        return 2, _one_line(str(exc), limit=None)
    if isinstance(exc, CommandFailed | WarehouseError):
        return 1, _one_line(str(exc), limit=None)
    chain = _chain(exc)
    for link in chain:
        if isinstance(link, OSError) and link.errno in (errno.ENOSPC, errno.EDQUOT):
            return 1, disk_full_sentence(link.filename)
    for link in chain:
        if isinstance(link, duckdb.Error) and is_damaged(link):
            return 1, damaged_sentence(_warehouse())
        if isinstance(link, duckdb.Error) and (holder := lock_holder(link)):
            return 1, (f"the warehouse {_warehouse()} is locked by {holder}: let that process "
                       "finish and run again")
        if found := machine_failure(type(link).__name__, str(link)):
            return 1, _one_line(found[1])
    return 1, _one_line(f"{type(exc).__name__}: {exc}") + " (run again with --debug for the full trace)"


def _warehouse() -> Path | str:
    try:
        return Settings.from_env().warehouse
    except SettingsError:
        return "warehouse.duckdb"


def _one_line(text: str, limit: int | None = 400) -> str:
    """Flattened to one line; someone else's message (not one of ours) also cut short."""
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
