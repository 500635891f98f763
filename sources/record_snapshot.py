"""Record the bundled snapshot: run every connector against the sample API and keep its answers.

Run with `make snapshot` (or `python -m sources.record_snapshot`). The result is deterministic,
so re-recording an unchanged sample gives byte-identical files.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from sources.catalogue import catalogue
from sources.fetch import fetch_dataset, make_client
from sources.sample_api import SampleApi
from sources.settings import DEFAULT_URLS, SNAPSHOT_DIR, Settings
from sources.snapshot import RecordingAdapter, session_with

ONS_DOWNLOAD = "https://download.ons.gov.uk"
README = """# Bundled snapshot: SAMPLE DATA

Every file here is an answer of a publisher's API in its exact wire format, recorded by
`make snapshot` from `sources/sample_api.py` (StatsWales: `sources/sample_statswales.py`, which
answers by the public backend's rules, over the cubes of `sources/sample_cubes.py`). Every answer
of a fetch is here: for StatsWales the dataset metadata, `/filters`, the stored query and the data.
The figures are INVENTED sample data for development, tests and demonstrations: they are not
official statistics and must never be presented as such. Releases built from them carry the
status label "Sample data".

`<dataset>/index.json` maps each request (method, URL, body hash) to its recorded answer.
"""


def record(out: Path = SNAPSHOT_DIR, keys: list[str] | None = None, scale: int = 1,
           quiet: bool = False) -> None:
    """Record every catalogue dataset (or `keys`) from the sample API into `out`."""
    api = SampleApi(base_urls={**DEFAULT_URLS, "ons_download": ONS_DOWNLOAD}, scale=scale)

    def handler(method: str, url: str, body: bytes | None):
        answer = api.handle(method, url, body)
        return answer.status, answer.headers, answer.body

    out.mkdir(parents=True, exist_ok=True)
    (out / "README.md").write_text(README, encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), mode="live")
        for dataset in catalogue().values():
            if keys and dataset.key not in keys:
                continue
            folder = out / dataset.key
            shutil.rmtree(folder, ignore_errors=True)
            adapter = RecordingAdapter(folder, handler)
            client = make_client(dataset, settings, session=session_with(adapter),
                                 log=lambda _m: None, rate_limit=(1_000_000, 1.0))
            fetch = fetch_dataset(dataset, settings, client=client, log=lambda _m: None)
            adapter.save()
            size = sum(f.stat().st_size for f in folder.iterdir())
            if not quiet:
                print(f"{dataset.key}: {len(adapter.index)} answers, {len(fetch.data_parts)} data "
                  f"files, {size / 1024:.0f} KiB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", help="catalogue keys (default: all)")
    parser.add_argument("--out", type=Path, default=SNAPSHOT_DIR,
                        help="snapshot folder (default: the bundled one)")
    parser.add_argument("--scale", type=int, default=1,
                        help="multiply the rows of the growing StatsWales cubes (sources/sample_api.py; "
                        "for benchmarks; keep 1 for the bundle)")
    args = parser.parse_args(argv)
    record(args.out, args.datasets or None, args.scale)


if __name__ == "__main__":
    main(sys.argv[1:])
