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
from sources.i18n import N_, LanguageError, _, language, ngettext, set_language
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
WRITERS = {"refresh", "publish", "submit", "backfill"}
REBUILD_HOME = N_("rebuild this home with `datacymru refresh --force`")
SINCE_FORMS = N_("YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], optionally with a UTC offset, "
                 "e.g. 2026-01-01 or 2026-01-01T09:30+01:00")


class UsageError(Exception):
    """Bad arguments or settings (exit code 2); the message is one sentence."""


class CommandFailed(Exception):
    """A failure at run time (exit code 1), already said in one sentence."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help, its own words ("usage:") in the chosen language too."""

    def _format_usage(self, usage, actions, groups, prefix):  # noqa: ANN001, ANN202 - argparse's
        return super()._format_usage(usage, actions, groups,
                                     _("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """argparse whose mistakes are one line (exit code 2), never a usage dump."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - argparse's own
        super().__init__(*args, **{**kwargs, "add_help": False, "formatter_class": HelpFormatter})
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        self.add_argument("-h", "--help", action="help", help=_("show this help message and exit"))

    def error(self, message: str) -> NoReturn:
        raise UsageError(_("{prog}: {message}; see `{prog} --help`").format(prog=self.prog,
                                                                          message=message))


def iso_since(text: str) -> str:
    """`--since`: an ISO 8601 date or date and time, as DuckDB's TIMESTAMPTZ reads it."""
    try:
        return datetime.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not an ISO date or time; use {forms}").format(
                text=repr(text), forms=_(SINCE_FORMS))) from None


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
        raise UsageError(_("DAGSTER_HOME {home} is a file, not a directory: move the file aside or "
                           "set DAGSTER_HOME to another directory").format(home=home))
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
        raise UsageError(_(
            "DAGSTER_HOME {dagster_home} records builds the warehouse {warehouse} does not have "
            "(e.g. {example}): the home moved without its Dagster records, or they are another "
            "home's; point DATA_CYMRU_HOME and DAGSTER_HOME at one home's pair, or {what_to_do}"
        ).format(dagster_home=os.environ["DAGSTER_HOME"], warehouse=settings.warehouse,
                 example=missing[0], what_to_do=what_to_do))


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
        raise UsageError(_("unknown dataset id(s): {unknown}; choose from {known}").format(
            unknown=", ".join(unknown), known=", ".join(known)))
    _ensure_dagster_home()
    if not args.force:
        _check_records_match_warehouse(settings, _(REBUILD_HOME))
    print(_("Data Cymru refresh: mode={mode}, home={home}").format(mode=settings.mode,
                                                                   home=settings.home))
    if settings.mode == "snapshot":
        print(_(SAMPLE_NOTICE))
    from orchestration.runner import refresh

    done = refresh(args.dataset or None, force=args.force, log_level=_log_level(args))
    ok, outcomes = done.ok, done.outcomes
    for note in done.recovered:
        print(_("recovered: {note}").format(note=note))
    for mart in done.unreleased:
        print(_("{mart}: its current release does not hold the mart's content (an interrupted or "
                "blocked publication); publishing it now").format(mart=mart))
    rows = []
    for key in args.dataset or known:
        raw = outcomes.get(f"raw/{key}")
        failure = next((o for k, o in outcomes.items() if k.startswith("step:") and key in k), None)
        if raw:
            status = _("unchanged") if raw.metadata.get("skipped_unchanged") else _("loaded")
            files = int(raw.metadata.get("archive_files", 1))
            sha = str(raw.metadata.get("archive_sha256", ""))[:12]
            rows.append([key, raw.metadata.get("dagster/row_count", ""),
                         ngettext("{sha} ({count} file)", "{sha} ({count} files)", files).format(
                             sha=sha, count=files), status])
        else:
            rows.append([key, "", "", _("FAILED: {error}").format(
                error=failure.error if failure else _("not run"))])
    print()
    print(_table(rows, [_("dataset"), _("rows"), _("archive sha256"), _("status")]))
    print()
    if done.rebuilt:
        models = [k for k in done.rebuilt if not k.startswith("seeds/")]
        print(_("dbt: {assets} asset(s) rebuilt ({models} models), e.g. {examples}").format(
            assets=len(done.rebuilt), models=len(models),
            examples="; ".join(f"{k} ({why})" for k, why in list(done.rebuilt.items())[:3])))
    else:
        print(_("dbt: nothing to rebuild, every model is up to date with its inputs and code "
                "(refresh --force rebuilds)"))
    print()
    _print_releases(outcomes, ok, done.blocked)
    print()
    print(_run_line(done.run_ids, ok))
    _machine_failure(outcomes)
    return 0 if ok else 1


def _run_line(run_ids: list[str], ok: bool) -> str:
    runs = ", ".join(run_ids)
    if ok:
        return _("Dagster run(s) {runs}: succeeded").format(runs=runs)
    return _("Dagster run(s) {runs}: FAILED").format(runs=runs)


def _print_releases(outcomes: dict, run_ok: bool, blocked: dict[str, str] | None = None) -> None:
    """One screen: per mart its rows, headline figures and release; then gates by principle."""
    from orchestration.assets.gates import MARTS, release_key
    from sources.headlines import headlines
    from sources.report import OUTCOME_LABELS

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
                print("   " + _("RELEASED {release_id}: {count} checks: {outcomes}").format(
                    release_id=release.metadata.get("release_id"), count=counts,
                    outcomes=", ".join(f"{n} {_(OUTCOME_LABELS.get(o, o))}"
                                       for o, n in by_outcome.items() if n)))
                meta = _release_metadata(settings, mart, release.metadata.get("release_id"))
                for principle, counts in (meta.get("gates", {}).get("by_principle") or {}).items():
                    total = by_principle.setdefault(principle, {})
                    for outcome, n in counts.items():
                        total[outcome] = total.get(outcome, 0) + n
            elif failure:
                print("   " + _("NO RELEASE: {error}").format(error=failure.error))
            elif mart in (blocked or {}):
                print("   " + _("NO RELEASE: blocked, its source {source} failed to load (see above)")
                      .format(source=blocked[mart]))
            else:
                latest = settings.releases / mart / "latest"
                current = latest.read_text(encoding="utf-8").strip() if latest.exists() else _("none")
                print("   " + _("no new release ({why}); current release: {current}").format(
                    why=_why_no_release(outcomes, run_ok), current=current))
    _print_run_notes(outcomes)
    if by_principle:
        print("\n" + _("Gates behind the new releases, by Code of Practice principle:"))
        print(_table([[p, c.get("passed", 0), c.get("not_applicable", 0), c.get("warned", 0),
                       c.get("failed", 0) + c.get("error", 0)] for p, c in sorted(by_principle.items())],
                     [_("principle"), _("passed"), _("not applicable"), _("warned"), _("failed")]))


def _why_no_release(outcomes: dict, run_ok: bool) -> str:
    """Why a mart has no new release; a machine failure is never blamed on the data checks."""
    if run_ok:
        return _("nothing changed upstream")
    machine = next((o for k, o in outcomes.items() if k.startswith("step:") and o.cause), None)
    blocking = any(k.startswith("check:") and o.error == "blocking check failed"
                   for k, o in outcomes.items())
    if machine and not blocking:
        if machine.cause == "disk_full":
            return _("the run stopped on a full disk, not on a data check: see the steps that "
                     "failed below")
        return _("the run stopped on an error of the machine, not on a data check: see the steps "
                 "that failed below")
    return _("an upstream step or blocking check failed, listed below")


def _print_run_notes(outcomes: dict) -> None:
    """The steps that failed, what the run warned of, the checks that did not pass."""
    steps = [o for k, o in outcomes.items() if k.startswith("step:")]
    if steps:
        print("\n" + _("Steps that failed:"))
        for step in steps:
            print(f"   {step.asset:<22} {step.error}")
    warnings = [o for k, o in outcomes.items() if k.startswith("warning:")]
    if warnings:
        print("\n" + _("Warnings and errors the steps logged:"))
        for warning in warnings:
            print(f"   {warning.asset:<22} {warning.error}")
    failed_checks = [o for k, o in outcomes.items() if k.startswith("check:")]
    if failed_checks:
        print("\n" + _("Checks that did not pass in this run (`datacymru audit checks --failed` "
                       "has details):"))
        for check in sorted(failed_checks, key=lambda o: o.asset):
            print(f"   {_(check.error):<22} {check.asset}")


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
        raise CommandFailed(_("{file} was not processed: {error}").format(file=target.name,
                                                                           error=failed[0].error))
    with connect_warehouse(settings, read_only=True) as con:
        mine = [r for r in list_submissions(con) if r["file_name"] == target.name]
    return mine[-1] if mine else None


def cmd_publish(args: argparse.Namespace) -> int:
    """Re-run the gates of marts and publish them, without fetching or rebuilding."""
    from orchestration.assets.gates import MARTS
    from orchestration.runner import publish

    _ensure_dagster_home()
    _check_records_match_warehouse(Settings.from_env(), _(REBUILD_HOME))
    marts = args.mart or list(MARTS)
    ok, outcomes, run_id = publish(marts, log_level=_log_level(args))
    _print_releases(outcomes, ok)
    print()
    print(_run_line([run_id], ok))
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
        raise UsageError(_("no warehouse at {warehouse}: run `datacymru refresh` first").format(
            warehouse=settings.warehouse))
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
        raise UsageError(_("no release {release_id} in audit.releases: release ids are the folder "
                           "names under {releases}/<mart>/").format(
            release_id=repr(args.release_id), releases=Settings.from_env().releases))
    release = found[0]
    release["path"] = str(_release_dir(release))
    metadata = json.loads((Path(release["path"]) / "metadata.json").read_text(encoding="utf-8"))
    if args.format == "json":
        print(json.dumps({"release": release, "checks": checks, "metadata": metadata}, indent=2,
                         default=str, ensure_ascii=False))
        return 0
    status = release["status_label"]  # the English label the audit row holds; shown translated
    print(_("Release {release_id} of {mart} ({status})").format(
        release_id=release["release_id"], mart=release["mart"], status=_(status)))
    print(_("created {created}, code {code}, path {path}").format(
        created=release["created_at"], code=release["code_version"], path=release["path"]))
    print(_("{count} checks: {passed} passed, {warned} warned, {failed} failed; {revised} revised "
            "value(s)").format(count=len(checks), passed=release["gates_passed"],
                               warned=release["gates_warned"], failed=release["gates_failed"],
                               revised=release["revisions"]))
    print()
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


def cmd_trace(args: argparse.Namespace) -> int:
    """One figure from the release (or current mart) down to its archived bytes; 1 if not whole."""
    from orchestration.dbt_prepare import DBT_DIR
    from sources.trace import Figure, TraceError, trace_figure
    from sources.trace_render import render

    given = [args.measure, args.area, args.period]
    if args.row is None and not all(given):
        raise UsageError(_("datacymru trace: give --measure, --area and --period, or --row N "
                           "(with --release ID or --mart NAME)"))
    settings = Settings.from_env()
    try:
        with _read_only() as con:
            trace = trace_figure(
                con, manifest=DBT_DIR / "target" / "manifest.json", archive_root=settings.archive,
                releases_root=settings.releases, release_id=args.release, mart=args.mart,
                figure=Figure(*given) if args.row is None else None, csv_row=args.row)
    except TraceError as exc:
        raise UsageError(f"datacymru trace: {exc}") from exc
    if args.format == "json":
        print(json.dumps(trace.to_json(), indent=2, default=str, ensure_ascii=False))
    else:
        print(render(trace))
    return 0 if trace.whole else 1


def _release_dir(release: dict) -> Path:
    """Where a release is now: as recorded, or in this home if the home has moved since."""
    # Kept relative to the home (rows written before hold absolute paths).
    recorded = Settings.from_env().home / release["path"]
    if (recorded / "metadata.json").exists():
        return recorded
    here = Settings.from_env().releases / release["mart"] / release["release_id"]
    if (here / "metadata.json").exists():
        return here
    if recorded != here:
        raise CommandFailed(_("release {release_id} is recorded at {recorded} and is not in this "
                              "home ({here}) either: restore its folder from backup, or set "
                              "DATA_CYMRU_HOME to the home that holds it").format(
            release_id=release["release_id"], recorded=recorded, here=here))
    raise CommandFailed(_("release {release_id} is recorded at {here}, which is missing: restore "
                          "its folder from backup, or set DATA_CYMRU_HOME to the home that holds "
                          "it").format(release_id=release["release_id"], here=here))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="datacymru", description=_("datacymru: everything a person does from a "
                                                      "shell, in English or in Welsh (--lang cy)."))
    parser.add_argument("--lang", choices=("en", "cy"),
                        help=_("language of what the command prints: en (default) or cy; also "
                               "DATA_CYMRU_LANG (accepted anywhere on the command line)"))
    parser.add_argument("--debug", action="store_true",
                        help=_("on failure, print the full trace and Dagster's own log "
                             "(accepted anywhere on the command line)"))
    sub = parser.add_subparsers(dest="command", required=True)
    refresh = sub.add_parser("refresh", help=_("fetch, load, build, gate and publish"))
    refresh.add_argument("--dataset", action="append", metavar="ID",
                         help=_("catalogue dataset id (repeatable); default: every dataset"))
    refresh.add_argument("--force", action="store_true",
                         help=_("rebuild the marts and re-run every gate even if no input changed"))
    refresh.set_defaults(func=cmd_refresh)

    add_commands(sub, process_now=_process_through_dagster)  # submit, submissions

    publish = sub.add_parser("publish", help=_("re-run the gates of marts and publish releases"))
    publish.add_argument("--mart", action="append", choices=mart_names(), metavar="NAME",
                         help=_("mart (repeatable): {marts}; default: all").format(
                             marts=", ".join(mart_names())))
    publish.set_defaults(func=cmd_publish)

    audit = sub.add_parser("audit", help=_("the audit trail of gates and releases")).add_subparsers(
        dest="audit_command", required=True)
    checks = audit.add_parser("checks", help=_("history of every gate execution, newest first"))
    checks.add_argument("--asset", help=_("asset key, e.g. marts/mart_performance_framework"))
    checks.add_argument("--principle", help=_("Code of Practice 2.x principle, e.g. Q3 or Q3.3"))
    checks.add_argument("--since", type=iso_since, help=_("checks from then on: {forms}").format(
        forms=_(SINCE_FORMS)))
    checks.add_argument("--run", help=_("a Dagster run id"))
    checks.add_argument("--failed", action="store_true", help=_("only gates that did not pass"))
    checks.add_argument("--format", choices=("table", "csv", "json"), default="table")
    checks.set_defaults(func=cmd_audit_checks)
    release = audit.add_parser("release", help=_("one release: gates, sources, revisions"))
    release.add_argument("release_id")
    release.add_argument("--format", choices=("table", "json"), default="table")
    release.set_defaults(func=cmd_audit_release)
    verify = audit.add_parser("verify", help=_("check that the archive, releases and audit rows "
                                             "are as they were written (exit 1 if not)"))
    verify.add_argument("--format", choices=("table", "json"), default="table")
    verify.set_defaults(func=cmd_audit_verify)
    trace = sub.add_parser("trace", help=_("follow one published figure back to its archived bytes"))
    trace.add_argument("--release", metavar="ID", help=_("a release id; default: the current marts "
                                                          "and their latest releases"))
    trace.add_argument("--mart", choices=mart_names(), metavar="NAME", help=_("the mart of --row"))
    trace.add_argument("--measure", help=_("measure or indicator id, e.g. PAM/030 or 'NI 15'"))
    trace.add_argument("--area", help=_("GSS code, e.g. W06000015"))
    trace.add_argument("--period", help=_("period as published, e.g. 2024-25"))
    trace.add_argument("--row", type=int, metavar="N",
                       help=_("row N of the release CSV (1 = the first row after the header)"))
    trace.add_argument("--format", choices=("text", "json"), default="text")
    trace.set_defaults(func=cmd_trace)

    from orchestration.backfill_cli import add_backfill_command
    from orchestration.status import add_status_command

    add_status_command(sub)
    add_backfill_command(sub)
    return parser


def _take_lang(argv: list[str]) -> tuple[list[str], str | None]:
    """`--lang cy` / `--lang=cy`, accepted anywhere like `--debug`; the rest of the arguments."""
    rest, lang, i = [], None, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--lang":
            if i + 1 >= len(argv):
                raise UsageError("datacymru: --lang needs a value: en or cy / "
                                 "mae angen gwerth ar --lang: en neu cy")
            lang, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return rest, lang


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        argv, lang = _take_lang(argv)
        # The language first, so that every message after this, a usage mistake too, is in it.
        set_language(lang)
        if lang:  # steps Dagster runs (in other threads or processes) print in it too
            os.environ["DATA_CYMRU_LANG"] = lang
        language()  # a bad DATA_CYMRU_LANG is a usage mistake, said now
        args = build_parser().parse_args([a for a in argv if a != "--debug"])
        args.debug = debug
        settings = Settings.from_env()
        settings.check_home(write=args.command in WRITERS)
        if args.command in WRITERS:
            probe_warehouse(settings)
        return args.func(args)
    except KeyboardInterrupt:
        print(_("datacymru: interrupted"), file=sys.stderr)
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
    if isinstance(exc, UsageError | SettingsError | LanguageError):
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
            return 1, _("the warehouse {warehouse} is locked by {holder}: let that process "
                        "finish and run again").format(warehouse=_warehouse(), holder=holder)
        if found := machine_failure(type(link).__name__, str(link)):
            return 1, _one_line(found[1])
    return 1, _one_line(f"{type(exc).__name__}: {exc}") + " " + _(
        "(run again with --debug for the full trace)")


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
    # Run the imported module, not this `__main__` copy: commands defined in other modules raise
    # `orchestration.cli.UsageError`, which must be the class `explain` knows.
    from orchestration.cli import main as imported_main

    sys.exit(imported_main())
