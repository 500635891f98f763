"""Backfill: past periods a publisher still serves, fetched into `raw_backfill.<dataset>`.

The scheduled load keeps its meaning: `raw.<dataset>` is the catalogue's current window, replaced
whole. A backfill asks the publisher for another range of periods, archives the answer like every
fetch (the fetch record names the range), and merges it into a table of its own, period by period
(`sources/load_backfill.py`). dbt staging reads both (`raw_with_backfill`), the current window
winning wherever both hold a period: it carries the publisher's latest revision.

Which publishers serve a range of periods, and how they are asked, is `PERIOD_RANGES`; every
dataset of such a publisher has a backfill table (`backfill_datasets`), none is listed by hand.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sources.archive import Archive, FetchSet
from sources.catalogue import Dataset
from sources.fetch import fetch_dataset
from sources.i18n import N_, _, both
from sources.settings import Settings

BACKFILL_SCHEMA = "raw_backfill"


@dataclass(frozen=True)
class PeriodRange:
    """How a publisher is asked for a range of periods, and where each row names its period."""

    parameter: str  # the request parameter that selects periods
    period_column: str  # the raw column holding each row's period, as published
    period: re.Pattern[str]  # one period in the publisher's notation
    forms: str  # what `period` accepts, said to the user (a msgid)

    def request(self, dataset: Dataset, first: str, last: str) -> Dataset:
        """The dataset as the publisher is asked for periods `first` to `last`."""
        return dataclasses.replace(dataset, request={**dataset.request,
                                                     self.parameter: f"{first}-{last}"})


# Nomis: `date=` takes `latest`, `latestMINUSn`, explicit dates and ranges `a-b`
# (reference/public-sources.md §2.2, from ropensci/nomisr; wire-formats.md shows
# `date=latestMINUS20-latest` on NM_17_5). Explicit dates are Nomis' date codes: `2019` for a year,
# `2024-03` for a month (or the last month of an APS rolling year). A range of two explicit month
# codes (`2023-01-2023-06`) follows the same `a-b` form; it is unverified against the live API.
NOMIS_PERIOD = re.compile(r"latest(MINUS[1-9][0-9]*)?|[12][0-9]{3}(-(0[1-9]|1[0-2]))?")
PERIOD_RANGES: dict[str, PeriodRange] = {
    "nomis": PeriodRange("date", "date_name", NOMIS_PERIOD, N_(
        "a Nomis date: latest, latestMINUSn (n periods before the latest), a year such as 2019 "
        "or a month such as 2024-03")),
}

# Why the other publishers have nothing to backfill, said in English and Welsh.
REFUSALS: dict[str, str] = {
    # reference/wire-formats.md and public-sources.md: the v2 API serves a dataset's current
    # revision only, and that answer holds every period the dataset publishes.
    "statswales": N_(
        "{dataset}: StatsWales serves only the current revision of a dataset, and that revision "
        "already holds every period it publishes, so there is nothing older to backfill. Fetch "
        "it again with `datacymru refresh --dataset {dataset}`."),
    # reference/public-sources.md: past versions and editions are revisions of the whole table,
    # not ranges of periods; the latest version (mid-2022-england-wales v3) covers 2011-2023.
    "ons": N_(
        "{dataset}: the ONS API serves past versions of a dataset, which are earlier revisions "
        "of the whole table, not ranges of periods; its latest version already holds every "
        "period it publishes, so there is nothing older to backfill. Fetch it again with "
        "`datacymru refresh --dataset {dataset}`."),
}
SNAPSHOT_REFUSAL = N_(
    "{dataset}: a backfill asks the publisher for periods outside the catalogue's window, and the "
    "bundled snapshot holds only that window. Run it in live mode (DATA_CYMRU_MODE=live), against "
    "the publisher or the sample mirror (`python -m sources.sample_api` prints the settings).")


class BackfillRefused(ValueError):
    """A backfill that cannot be done as asked; the message is in English and in Welsh."""

    def __init__(self, msgid: str, **values: object):
        self.english, self.welsh = both(msgid, **values)
        super().__init__(f"{self.english} / {self.welsh}")


def serves_history(dataset: Dataset) -> bool:
    """Whether the dataset's publisher serves past periods on request."""
    return dataset.provider in PERIOD_RANGES


def backfill_datasets(catalogue: dict[str, Dataset]) -> list[Dataset]:
    """The datasets that have a backfill table: those whose publisher serves history."""
    return [d for d in catalogue.values() if serves_history(d)]


def backfill_table(dataset: Dataset) -> str:
    return f"{BACKFILL_SCHEMA}.{dataset.key}"


def refuse_unless_served(dataset: Dataset, settings: Settings) -> PeriodRange:
    """The dataset's way of asking for periods, or `BackfillRefused` saying why there is none."""
    if not serves_history(dataset):
        raise BackfillRefused(REFUSALS[dataset.provider], dataset=dataset.key)
    if settings.mode == "snapshot":
        raise BackfillRefused(SNAPSHOT_REFUSAL, dataset=dataset.key)
    return PERIOD_RANGES[dataset.provider]


def check_periods(dataset: Dataset, first: str, last: str) -> tuple[str, str]:
    """Both ends of a range in the publisher's notation, in order; a `ValueError` says what fits."""
    ranges = PERIOD_RANGES[dataset.provider]
    for name, value in (("--from", first), ("--to", last)):
        if not ranges.period.fullmatch(value.strip()):
            raise ValueError(_("{option} {value} is not {forms}").format(
                option=name, value=repr(value), forms=_(ranges.forms)))
    first, last = first.strip(), last.strip()
    if _after(first, last):
        raise ValueError(_("--from {first} comes after --to {last}: give the earlier period first")
                         .format(first=first, last=last))
    return first, last


def _after(first: str, last: str) -> bool:
    """Whether `first` is a later period than `last`, where the notation says (same form only)."""
    back = re.compile(r"latest(?:MINUS([0-9]+))?")
    a, b = back.fullmatch(first), back.fullmatch(last)
    if a and b:
        return int(a[1] or 0) < int(b[1] or 0)
    if not a and not b and len(first) == len(last):
        return first > last
    return False


def fetch_backfill(dataset: Dataset, settings: Settings, first: str, last: str,
                   log: Callable[[str], None] = print) -> tuple[FetchSet, Archive]:
    """Archive the publisher's answer for periods `first` to `last` as a backfill fetch."""
    ranges = refuse_unless_served(dataset, settings)
    first, last = check_periods(dataset, first, last)
    asked = ranges.request(dataset, first, last)
    record: dict[str, Any] = {"from": first, "to": last,
                              ranges.parameter: asked.request[ranges.parameter]}
    fetch = fetch_dataset(asked, settings, log=log, backfill=record)
    return fetch, Archive(settings.archive, dataset.provider, dataset.name)
