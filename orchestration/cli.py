"""`datacymru`: everything a person does from a shell."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from sources.catalogue import catalogue
from sources.settings import Settings
from sources.snapshot import SAMPLE_NOTICE

INSTANCE_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def _ensure_dagster_home() -> Path:
    """`DAGSTER_HOME` (default `./.dagster_home`) with the project's instance settings."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() and INSTANCE_YAML.exists():
        shutil.copyfile(INSTANCE_YAML, config)
    return home


def cmd_refresh(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    known = catalogue()
    unknown = [d for d in args.dataset or [] if d not in known]
    if unknown:
        print(f"unknown dataset id(s): {', '.join(unknown)}. Known: {', '.join(known)}",
              file=sys.stderr)
        return 2
    _ensure_dagster_home()
    print(f"Data Cymru refresh: mode={settings.mode}, home={settings.home}")
    if settings.mode == "snapshot":
        print(SAMPLE_NOTICE)
    from orchestration.runner import run_refresh

    ok, outcomes, run_id = run_refresh(args.dataset or None)
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
    print(f"\nDagster run {run_id}: {'succeeded' if ok else 'FAILED'}")
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datacymru", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    refresh = sub.add_parser("refresh", help="fetch, load, build, gate and publish")
    refresh.add_argument("--dataset", action="append", metavar="ID",
                         help="catalogue dataset id (repeatable); default: every dataset")
    refresh.set_defaults(func=cmd_refresh)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
