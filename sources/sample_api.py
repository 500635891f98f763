"""SAMPLE data behind in-process copies of the StatsWales v2, Nomis and ONS CMD APIs.

Every figure here is invented (plausible, deterministic from `seed`); none is an official
statistic. The answers follow the publishers' wire formats exactly, so the real connectors run
against them unchanged: the bundled snapshot is recorded from `SampleApi.handle`, and `serve()`
puts the same answers on loopback HTTP for end-to-end tests and benchmarks (`scale`).

`scale` grows the sample the way real tables grow, by detail rather than by history: every period
series keeps the same periods at any scale (reaching back centuries would be implausible, and the
figures of each period stay exactly those of scale 1), and the StatsWales cubes that the client
downloads whole get `scale` times their rows from finer categories under a hierarchy the marts read
only at its root (`detail_counts`). Datasets fetched with a filter on every dimension (Nomis) or
fixed in size (WIMD, council tax bands, the ONS edition) do not grow.

    python -m sources.sample_api --port 8765     # prints the DATA_CYMRU_* lines to use it
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import random
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sources.catalogue import Dataset, catalogue
from sources.sample_statswales import StatsWalesSample
from sources.settings import URL_ENV

Bi = tuple[str, str]  # a label as (English, Welsh)
Row = dict[str, Any]  # one observation keyed by catalogue column name

# The 22 councils (GSS, English, Welsh, rough population, deprivation lean), embedded so that
# nothing outside the project is read at run time. The lean skews the invented WIMD ranks.
COUNCILS: tuple[tuple[str, str, str, int, float], ...] = (
    ("W06000001", "Isle of Anglesey", "Ynys Môn", 69_000, -0.1),
    ("W06000002", "Gwynedd", "Gwynedd", 117_000, -0.2),
    ("W06000003", "Conwy", "Conwy", 114_000, -0.1),
    ("W06000004", "Denbighshire", "Sir Ddinbych", 96_000, 0.1),
    ("W06000005", "Flintshire", "Sir y Fflint", 155_000, -0.2),
    ("W06000006", "Wrexham", "Wrecsam", 135_000, 0.0),
    ("W06000008", "Ceredigion", "Ceredigion", 71_000, -0.4),
    ("W06000009", "Pembrokeshire", "Sir Benfro", 124_000, -0.1),
    ("W06000010", "Carmarthenshire", "Sir Gaerfyrddin", 188_000, -0.1),
    ("W06000011", "Swansea", "Abertawe", 240_000, 0.2),
    ("W06000012", "Neath Port Talbot", "Castell-nedd Port Talbot", 142_000, 0.5),
    ("W06000013", "Bridgend", "Pen-y-bont ar Ogwr", 146_000, 0.1),
    ("W06000014", "Vale of Glamorgan", "Bro Morgannwg", 133_000, -0.4),
    ("W06000015", "Cardiff", "Caerdydd", 372_000, 0.1),
    ("W06000016", "Rhondda Cynon Taf", "Rhondda Cynon Taf", 238_000, 0.5),
    ("W06000018", "Caerphilly", "Caerffili", 176_000, 0.4),
    ("W06000019", "Blaenau Gwent", "Blaenau Gwent", 67_000, 0.9),
    ("W06000020", "Torfaen", "Torfaen", 93_000, 0.3),
    ("W06000021", "Monmouthshire", "Sir Fynwy", 94_000, -0.7),
    ("W06000022", "Newport", "Casnewydd", 161_000, 0.3),
    ("W06000023", "Powys", "Powys", 134_000, -0.3),
    ("W06000024", "Merthyr Tydfil", "Merthyr Tudful", 59_000, 0.9),
)
WALES = ("W92000004", "Wales", "Cymru")
AREAS = (WALES, *(c[:3] for c in COUNCILS))  # Wales first, as in the catalogue requests
NAMES = {gss: (en, cy) for gss, en, cy in AREAS}
# Real StatsWales output carries whitespace padding; reproduce it for two councils.
PADDED = {"W06000015": "{}  ", "W06000022": " {}"}

LATEST_YEAR = 2024  # latest calendar / financial (2024-25) year of most datasets
PERIODS = 6  # periods per dataset (at any scale)
LSOAS = 1917
SAMPLE_EN = "SAMPLE DATA: invented figures in the publisher's format, not official statistics."
SAMPLE_CY = "DATA SAMPL: ffigurau dychmygol yn fformat y cyhoeddwr, nid ystadegau swyddogol."
PUBLISHED, UPDATED = "2024-01-15T09:30:00.000Z", "2026-06-26T09:30:00.000Z"
# The ONS API's latest mid-year-pop-est (reference/wire-formats.md, checked 2026-10-02): edition
# mid-2022-england-wales, version 3, released 2024-09-04, covering the years up to 2023.
ONS_EDITION, ONS_VERSION, ONS_RELEASED, ONS_LAST_YEAR = "mid-2022-england-wales", 3, "2024-09-04", 2023
CSV_TYPE, JSON_TYPE = "text/csv; charset=utf-8", "application/json; charset=utf-8"


@dataclass
class Response:
    """What the API answers. Unpacks as `(status, headers, body)` for recording adapters."""

    status: int
    headers: dict[str, str]
    body: bytes

    def __iter__(self) -> Iterator[Any]:
        return iter((self.status, self.headers, self.body))


# ---------------------------------------------------------------- invented data


@dataclass(frozen=True)
class _Ctx:
    """What every generator needs: a seed, the scale and the shared population table."""

    seed: int
    scale: int
    pop: dict[tuple[int, str], tuple[int, int, int, int]]  # (year, gss) -> m, f, m16-64, f16-64

    def rng(self, name: str) -> random.Random:
        # One stream per dataset: adding a dataset never changes another's figures.
        return random.Random(f"{self.seed}:{name}")

    def years(self, last: int = LATEST_YEAR, count: int = PERIODS) -> list[int]:
        return list(range(last - count + 1, last + 1))

    def people(self, year: int, gss: str, working_age: bool = False) -> int:
        m, f, mw, fw = self.pop[year, gss]
        return mw + fw if working_age else m + f


def _population(rng: random.Random, years: list[int]) -> dict[tuple[int, str], tuple[int, ...]]:
    """Population by sex, all ages and 16-64; Wales is the sum of the councils."""
    table: dict[tuple[int, str], tuple[int, ...]] = {}
    for gss, _en, _cy, base, _lean in COUNCILS:
        growth, male, working = rng.uniform(-0.002, 0.007), rng.uniform(0.485, 0.5), rng.uniform(0.56, 0.64)
        for year in years:
            total = base * (1 + growth) ** (year - 2022) * rng.uniform(0.998, 1.002)
            m, f = round(total * male), round(total * (1 - male))
            table[year, gss] = (m, f, round(m * working * rng.uniform(0.99, 1.01)),
                                round(f * working * rng.uniform(0.99, 1.01)))
    for year in years:
        table[year, WALES[0]] = tuple(map(sum, zip(*(table[year, c[0]] for c in COUNCILS), strict=True)))
    return table


def _fy(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def _area(gss: str) -> Bi:
    pad = PADDED.get(gss, "{}")
    return pad.format(NAMES[gss][0]), pad.format(NAMES[gss][1])


def _numeric_sum(values: list[Any]) -> int:
    # Wales totals add the published council figures, so Wales = sum(councils) holds exactly.
    return sum(v for v in values if not isinstance(v, str))


def _pct(part: Any, whole: Any) -> Any:
    """part/whole in %, 1 dp; a shorthand marker on either side carries through."""
    for value in (whole, part):
        if isinstance(value, str):
            return value
    return round(part / whole * 100, 1)


@dataclass(frozen=True)
class _RateSpec:
    """A count, the part of it that succeeded, and the percentage (waste, homelessness)."""

    measures: tuple[tuple[str, Bi], tuple[str, Bi], tuple[str, Bi]]  # total, part, percentage
    per_head: tuple[float, float]  # total per resident
    rate: tuple[float, float]  # percentage range, drifting up over time
    markers: dict[str, tuple[int, str]]  # council -> (0 total / 1 part, marker), earliest year


REVISED = ("W06000003", "W06000011", "W06000020")  # councils with `r` the year before latest
WASTE = _RateSpec(
    (("TOT", ("Municipal waste collected (tonnes)", "Gwastraff trefol a gasglwyd (tunelli)")),
     ("RRC", ("Municipal waste reused, recycled or composted (tonnes)",
              "Gwastraff trefol a ailddefnyddiwyd, a ailgylchwyd neu a gompostiwyd (tunelli)")),
     ("PCT", ("Percentage of municipal waste reused, recycled or composted",
              "Canran y gwastraff trefol a ailddefnyddiwyd, a ailgylchwyd neu a gompostiwyd"))),
    (0.45, 0.56), (55.0, 72.0), {})
HOMELESSNESS = _RateSpec(
    (("THR", ("Households threatened with homelessness", "Aelwydydd dan fygythiad o ddigartrefedd")),
     ("PRV", ("Households where homelessness was successfully prevented",
              "Aelwydydd lle llwyddwyd i atal digartrefedd")),
     ("PCT", ("Percentage of households where homelessness was successfully prevented",
              "Canran yr aelwydydd lle llwyddwyd i atal digartrefedd"))),
    (0.003, 0.007), (55.0, 75.0),
    {"W06000004": (0, "[x]"), "W06000013": (1, "[c]"), "W06000023": (1, "..")})


def _count_and_rate(ctx: _Ctx, name: str, spec: _RateSpec) -> list[Row]:
    rng, years, rows = ctx.rng(name), ctx.years(), []
    # Each council keeps its own level and its own distance from the middle rate, year to year.
    level = {c[0]: rng.uniform(*spec.per_head) for c in COUNCILS}
    lean = {c[0]: rng.uniform(-4, 4) for c in COUNCILS}
    for i, year in enumerate(years):
        values: dict[str, list[Any]] = {}
        for gss, *_ in COUNCILS:
            total = round(ctx.people(year, gss) * level[gss] * rng.uniform(0.95, 1.05))
            mid = sum(spec.rate) / 2 + lean[gss] + 0.8 * (i - len(years) + PERIODS / 2)
            rate = min(max(mid + rng.uniform(-1, 1), spec.rate[0]), spec.rate[1])
            values[gss] = [total, round(total * rate / 100)]
            if i == 0 and gss in spec.markers:  # shorthand only in the earliest year
                where, marker = spec.markers[gss]
                values[gss][where] = marker
        values = {WALES[0]: [_numeric_sum([v[k] for v in values.values()]) for k in (0, 1)], **values}
        for gss, (total, part) in values.items():
            note = "p" if year == years[-1] else "r" if year == years[-2] and gss in REVISED else ""
            for (code, label), value in zip(spec.measures, (total, part, _pct(part, total)), strict=True):
                rows.append({"year": _fy(year), "area_code": gss, "area_name": _area(gss),
                             "measure_code": code, "data_description": label, "value": value,
                             "note_codes": note})
    return rows


BAND_NINTHS = dict(zip("ABCDEFGHI", (6, 7, 8, 9, 11, 13, 15, 18, 21), strict=True))


def _council_tax(ctx: _Ctx) -> list[Row]:
    """Band D grows 3-9% a year; other bands follow the Welsh ratios to Band D.

    Wales is the population-weighted mean Band D (council tax is a level, not additive).
    """
    rng, rows = ctx.rng("council_tax"), []
    band_d = {c[0]: rng.uniform(1500, 1800) for c in COUNCILS}
    weights = {c[0]: c[3] for c in COUNCILS}
    for year in ctx.years(LATEST_YEAR + 2):
        band_d[WALES[0]] = sum(band_d[g] * w for g, w in weights.items()) / sum(weights.values())
        for gss in NAMES:
            for band, ninths in BAND_NINTHS.items():
                rows.append({"year": _fy(year), "area_code": gss, "area_name": _area(gss),
                             "band_code": band, "band": (f"Band {band}", f"Band {band}"),
                             "data_description": ("Council tax (£ per dwelling)", "Treth gyngor (£ y tŷ)"),
                             "value": round(band_d[gss] * ninths / 9, 2), "note_codes": ""})
        band_d = {g: d * rng.uniform(1.03, 1.09) for g, d in band_d.items() if g in weights}
    return rows


SERVICES: tuple[tuple[str, str, str, float], ...] = (  # code, English, Welsh, £ per head 2019-20
    ("EDU", "Education", "Addysg", 1150), ("SOC", "Social services", "Gwasanaethau cymdeithasol", 900),
    ("HWY", "Highways and roads", "Priffyrdd a ffyrdd", 110),
    ("ENV", "Environmental and water services", "Gwasanaethau amgylcheddol a dŵr", 130),
    ("HSG", "Housing", "Tai", 60), ("CUL", "Culture and leisure", "Diwylliant a hamdden", 70),
    ("PLN", "Planning and development", "Cynllunio a datblygu", 45),
    ("CNR", "Council fund other", "Cronfa'r cyngor arall", 250),
)
REVENUE_TOTAL: Bi = ("Total net revenue expenditure", "Cyfanswm gwariant refeniw net")
REVENUE_MARKERS = {("W06000008", "CUL"): "..", ("W06000021", "HSG"): "[z]", ("W06000003", "PLN"): "[x]"}


def detail_counts(scale: int, parents: int, categories: int) -> list[int]:
    """How many detail categories each of `parents` gets at `scale`.

    Together they number `categories * (scale - 1)`, so a dimension of `categories` values has
    `scale` times as many: the cube's rows grow linearly with the scale, and at scale 1 not at all.
    """
    extra = categories * (scale - 1)
    return [extra // parents + (k < extra % parents) for k in range(parents)]


def detail_split(value: Any, count: int) -> list[Any]:
    """`value` shared among `count` detail categories that add up to it exactly.

    Fixed, unequal weights and no random draws, so that adding detail changes no other figure;
    a shorthand marker on the parent is on every one of its details.
    """
    if isinstance(value, str):
        return [value] * count
    return _apportion(value, [3 + k % 5 for k in range(count)])


def revenue_detail(scale: int) -> list[tuple[str, Bi, str]]:
    """The revenue outturn's detail lines at `scale`: (code, label, parent service code).

    The published dataset's Service dimension is a hierarchy (reference/wire-formats.md: `Year`,
    `Service`, `Authority`; `<Dim>_hierarchy` holds a value's parent) whose services break down
    into the lines of the outturn return; the sample's lines are invented and numbered.
    """
    counts = detail_counts(scale, len(SERVICES), len(SERVICES) + 1)  # + 1: the total
    return [(f"{code}{j:03d}", (f"{en}: detail line {j}", f"{cy}: llinell fanwl {j}"), code)
            for (code, en, cy, _head), count in zip(SERVICES, counts, strict=True)
            for j in range(1, count + 1)]


def _revenue(ctx: _Ctx) -> list[Row]:
    """£ thousand per service (TOT = sum of services) and £ per head of the mid-year population.

    At `scale` > 1 each service also has detail lines that add up to it (`revenue_detail`).
    """
    rng, rows, level = ctx.rng("revenue"), [], 1.0
    mix = {(c[0], s[0]): rng.uniform(0.88, 1.15) for c in COUNCILS for s in SERVICES}
    detail = revenue_detail(ctx.scale)
    lines = {s[0]: [code for code, _label, parent in detail if parent == s[0]] for s in SERVICES}
    labels = ({code: (en, cy) for code, en, cy, _ in SERVICES} | {"TOT": REVENUE_TOTAL}
              | {code: label for code, label, _parent in detail})
    for i, year in enumerate(ctx.years()):
        spend: dict[str, dict[str, Any]] = {}
        for gss, *_ in COUNCILS:
            people = ctx.people(year, gss)
            spend[gss] = {s: REVENUE_MARKERS.get((gss, s)) if i == 0 and (gss, s) in REVENUE_MARKERS
                          else round(people * head * level * mix[gss, s] / 1000)
                          for s, _en, _cy, head in SERVICES}
            spend[gss]["TOT"] = _numeric_sum(list(spend[gss].values()))
            for service, codes in lines.items():
                spend[gss].update(zip(codes, detail_split(spend[gss][service], len(codes)), strict=True))
        spend = {WALES[0]: {s: _numeric_sum([v[s] for v in spend.values()]) for s in labels}, **spend}
        for gss, services in spend.items():
            people = ctx.people(year, gss)
            for code, thousands in services.items():
                head = thousands if isinstance(thousands, str) else round(thousands * 1000 / people, 2)
                for measure, label, value in (("THOUS", ("£ thousand", "£ mil"), thousands),
                                              ("HEAD", ("£ per head", "£ y pen"), head)):
                    rows.append({"year": _fy(year), "area_code": gss, "area_name": _area(gss),
                                 "service_code": code, "service": labels[code], "measure_code": measure,
                                 "data_description": label, "value": value, "note_codes": ""})
        level *= rng.uniform(1.03, 1.07)
    return rows


DOMAINS: tuple[tuple[str, str, str], ...] = (
    ("WIMD", "WIMD 2025", "MALlC 2025"), ("INC", "Income", "Incwm"), ("EMP", "Employment", "Cyflogaeth"),
    ("HLT", "Health", "Iechyd"), ("EDU", "Education", "Addysg"),
    ("ACC", "Access to services", "Mynediad i wasanaethau"), ("HOU", "Housing", "Tai"),
    ("SAF", "Community safety", "Diogelwch cymunedol"),
    ("PHY", "Physical environment", "Amgylchedd ffisegol"),
)


def _apportion(total: int, weights: list[int]) -> list[int]:
    """Whole numbers proportional to `weights` that add up to `total` (largest remainder)."""
    exact = [total * w / sum(weights) for w in weights]
    counts = [math.floor(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _wimd(ctx: _Ctx) -> list[Row]:
    """1,917 LSOAs; each domain ranks them 1 (most deprived) .. 1,917. Not scaled: one edition."""
    rng, lsoas = ctx.rng("wimd"), []
    counts = _apportion(LSOAS, [c[3] for c in COUNCILS])  # roughly proportional to population
    for (gss, en, cy, _pop, lean), count in zip(COUNCILS, counts, strict=True):
        for i in range(count):
            suffix = f"{i // 4 + 1:03d}{'ABCD'[i % 4]}"
            lsoas.append((f"W01{len(lsoas) + 1:06d}", (f"{en} {suffix}", f"{cy} {suffix}"), gss,
                          lean + rng.gauss(0, 0.8)))
    ranks = {}
    for code, *_ in DOMAINS:
        noise = 0.3 if code == "WIMD" else 0.9  # the index follows deprivation closer than a domain
        score = [lsoa[3] + rng.gauss(0, noise) for lsoa in lsoas]
        for rank, k in enumerate(sorted(range(len(lsoas)), key=lambda k: -score[k]), start=1):
            ranks[code, k] = rank
    return [{"area_code": code, "area_name": name, "area_hierarchy": gss, "domain_code": d,
             "domain": (en, cy), "data_description": ("Rank", "Safle"), "value": ranks[d, k],
             "note_codes": ""}
            for k, (code, name, gss, _) in enumerate(lsoas) for d, en, cy in DOMAINS]


def _nomis(period: str, gss: str, measures: str, value: Any, status: str = "A", **dims: str) -> Row:
    # OBS_CONF is Nomis' confidentiality flag: "F" (false) everywhere, a string not a boolean.
    return {"date_name": period, "geography_code": gss, "geography_name": NAMES[gss][0], **dims,
            "measures_name": measures, "obs_value": value, "obs_status": status, "obs_conf": "F"}


def _nomis_population(ctx: _Ctx) -> list[Row]:
    rows = []
    for year in ctx.years():
        for gss in NAMES:
            m, f, mw, fw = ctx.pop[year, gss]
            for gender, ages in (("Total", (m + f, mw + fw)), ("Male", (m, mw)), ("Female", (f, fw))):
                for age, value in zip(("All Ages", "Aged 16 - 64"), ages, strict=True):
                    rows.append(_nomis(str(year), gss, "Value", value, gender_name=gender, c_age_name=age))
    return rows


APS_MEASURES = ("Variable", "Numerator", "Denominator", "Confidence")
# (periods back from the latest, council): two January-December periods, which reach NI 21, and
# one rolling year ('Jan 2024-Dec 2024', 'Oct 2021-Sep 2022', 'Jan 2020-Dec 2020').
APS_SUPPRESSED = {(2, "W06000024"), (11, "W06000001"), (18, "W06000019")}
APS_LATEST_END = (2025, 6)  # the latest APS period is the 12 months to June 2025
APS_VARIABLE = "Employment rate - aged 16-64"  # NM_17_5 VARIABLE 45, as Nomis labels it


def _aps_periods(ctx: _Ctx) -> list[tuple[str, int]]:
    """`date=latestMINUS20-latest`: 21 rolling 12-month periods a quarter apart, oldest first.

    Nomis labels them 'Jul 2019-Jun 2020', ..., 'Jan 2024-Dec 2024', 'Apr 2024-Mar 2025',
    'Jul 2024-Jun 2025' (reference/wire-formats.md). Each comes with the year whose mid-year
    population is its denominator (the year it starts in).
    """
    end_year, end_month = APS_LATEST_END
    last = end_year * 12 + end_month - 1  # months since year 0, zero-based
    periods = []
    for back in range(20, -1, -1):
        end = last - 3 * back
        start = end - 11
        label = f"{MONTHS[start % 12][:3]} {start // 12}-{MONTHS[end % 12][:3]} {end // 12}"
        periods.append((label, start // 12))
    return periods


def _aps(ctx: _Ctx) -> list[Row]:
    """Employment rate = numerator / denominator; Wales adds council numerators and denominators."""
    rng, rows = ctx.rng("aps"), []
    periods = _aps_periods(ctx)
    for i, (period, year) in enumerate(periods):
        cells = {}
        for gss, *_ in COUNCILS:
            den = round(ctx.people(year, gss, working_age=True), -2)
            cells[gss] = (int(round(den * rng.uniform(65, 78) / 100, -2)), den, round(rng.uniform(2, 5), 1))
        cells = {WALES[0]: (sum(c[0] for c in cells.values()), sum(c[1] for c in cells.values()),
                            round(rng.uniform(0.8, 1.3), 1)), **cells}
        for gss, (num, den, conf) in cells.items():
            hidden = (len(periods) - 1 - i, gss) in APS_SUPPRESSED  # "!": sample too small to publish
            values = (round(num / den * 100, 1), num, den, conf)
            for measure, value in zip(APS_MEASURES, values, strict=True):
                rows.append(_nomis(period, gss, measure, None if hidden else value,
                                   "!" if hidden else "A", variable_name=APS_VARIABLE))
    return rows


ASHE_UNRELIABLE = {(1, "W06000024"), (3, "W06000001")}  # female cells shown as "x"
# NM_30_1 SEX codes with the SEX_NAME labels Nomis sends (reference/wire-formats.md): 8 full-time
# workers, 1 male full-time, 3 female full-time; in the order of the catalogue's `sex=8,1,3`.
ASHE_SEX = (("8", "Full Time Workers"), ("1", "Male Full Time Workers"), ("3", "Female Full Time Workers"))
ASHE_FEMALE_AHEAD = {(2, "W06000008"), (4, "W06000019")}  # female median above male here


def _ashe(ctx: _Ctx) -> list[Row]:
    """Median weekly pay; Wales is the population-weighted mean of council medians."""
    rng = ctx.rng("ashe")
    years = ctx.years()
    return _ashe_years(rng, _ashe_levels(rng), years, first_index=0, provisional=years[-1])


def _ashe_history(ctx: _Ctx) -> list[Row]:
    """The years before the catalogue's window, which Nomis still serves (for backfills)."""
    first = ctx.years()[0]
    years = list(range(first - PERIODS, first))
    # The councils' pay levels of the window, then a stream of its own: the window's figures
    # stay exactly as they were before history was added.
    return _ashe_years(ctx.rng("ashe-history"), _ashe_levels(ctx.rng("ashe")), years,
                       first_index=-len(years), provisional=None)


def _ashe_levels(rng: random.Random) -> dict[str, tuple[float, float]]:
    return {c[0]: (rng.uniform(540, 640), rng.uniform(0.04, 0.16)) for c in COUNCILS}


def _ashe_years(rng: random.Random, base: dict[str, tuple[float, float]], years: list[int],
                first_index: int, provisional: int | None) -> list[Row]:
    rows = []
    weights = {c[0]: c[3] for c in COUNCILS}
    for i, year in enumerate(years, start=first_index):
        pay = {}
        for gss, (level, gap) in base.items():
            ft = level * 1.035 ** (year - 2019) * rng.uniform(0.98, 1.02)
            male, female = ft * (1 + gap / 2), ft * (1 - gap / 2)
            pay[gss] = (ft, *((female, male) if (i, gss) in ASHE_FEMALE_AHEAD else (male, female)))
        pay = {WALES[0]: tuple(sum(pay[g][k] * w for g, w in weights.items()) / sum(weights.values())
                               for k in range(3)), **pay}
        for gss, values in pay.items():
            for (code, sex), value in zip(ASHE_SEX, values, strict=True):
                bad = code == "3" and (i, gss) in ASHE_UNRELIABLE
                status = "x" if bad else "P" if year == provisional else "A"  # latest is provisional
                cv = round(rng.uniform(1, 2) if gss == WALES[0] else rng.uniform(3, 9), 1)
                for measure, v in (("Value", round(value, 1)), ("Confidence", cv)):
                    rows.append(_nomis(str(year), gss, measure, None if bad else v, status, sex_code=code,
                                       sex_name=sex, item_name="Median", pay_name="Weekly pay - gross"))
    return rows


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def _claimants(ctx: _Ctx) -> list[Row]:
    """Monthly to December 2025; the proportion uses the latest 16-64 population."""
    rng, rows = ctx.rng("claimants"), []
    rate = {c[0]: 2.0 + 1.5 * (c[4] + 0.7) + rng.uniform(-0.3, 0.3) for c in COUNCILS}
    residents = {g: ctx.people(LATEST_YEAR, g, working_age=True) for g in NAMES}
    for n in range(24):
        year, month = 2025 - (24 - 1 - n) // 12, n % 12
        season = 1 + 0.04 * math.cos(2 * math.pi * month / 12)  # winter peak
        counts = {g: round(residents[g] * r / 100 * season * rng.uniform(0.97, 1.03))
                  for g, r in rate.items()}
        counts = {WALES[0]: sum(counts.values()), **counts}
        for gss, count in counts.items():
            for measure, value in (("Claimant count", count),
                                   ("Claimants as a proportion of residents aged 16-64",
                                    round(count / residents[gss] * 100, 1))):
                rows.append(_nomis(f"{MONTHS[month]} {year}", gss, "Value", value, measure_name=measure))
    return rows


# CMD `sex` codes are text, labelled in `Sex` (reference/wire-formats.md): all, male, female.
ONS_SEX = (("all", "All"), ("male", "Male"), ("female", "Female"))


def _ons_population(ctx: _Ctx) -> list[Row]:
    """The Nomis "All Ages" figures again, in the CMD v4 layout, up to the edition's last year."""
    rows = []
    for year in (y for y in ctx.years() if y <= ONS_LAST_YEAR):
        for gss in NAMES:
            m, f, _mw, _fw = ctx.pop[year, gss]
            for (code, sex), value in zip(ONS_SEX, (m + f, m, f), strict=True):
                rows.append({"value": value, "calendar_years_code": str(year), "time": str(year),
                             "geography_code": gss, "geography_name": NAMES[gss][0], "sex_code": code,
                             "sex": sex, "age_code": "total", "age": "Total"})
    return rows


GENERATORS: dict[str, Callable[[_Ctx], list[Row]]] = {
    "nomis__population_estimates": _nomis_population,
    "nomis__aps_employment": _aps,
    "nomis__ashe_pay": _ashe,
    "nomis__claimant_count": _claimants,
    "ons__mid_year_pop_est": _ons_population,
}

# Periods before the catalogue's window that the sample Nomis still serves, as Nomis serves every
# period a dataset has; `date=` picks among them and the window.
HISTORY: dict[str, Callable[[_Ctx], list[Row]]] = {
    "nomis__ashe_pay": _ashe_history,
}

# ---------------------------------------------------------------- wire formats


def _json(status: int, doc: Any) -> Response:
    return Response(status, {"Content-Type": JSON_TYPE}, json.dumps(doc, ensure_ascii=False).encode())


def _html(status: int, message: str) -> Response:
    page = f"<html><head><title>Error</title></head><body><p>{message}</p></body></html>"
    return Response(status, {"Content-Type": "text/html; charset=utf-8"}, page.encode())


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """RFC 4180: CRLF line ends, quotes only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _nomis_cell(value: Any) -> str:
    # Nomis quotes strings and leaves numbers (and missing values) bare.
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return repr(value)


def nomis_date_code(period: str) -> str:
    """Nomis' date code of a period as labelled: '2019', 'January 2024' -> '2024-01'.

    An APS rolling year is coded by its last month ('Jul 2024-Jun 2025' -> '2025-06').
    """
    month = re.fullmatch(r"(?:.*-)?([A-Za-z]+) ([0-9]{4})", period.strip())
    if month is None:
        return period.strip()
    number = [m[:3] for m in MONTHS].index(month[1][:3]) + 1
    return f"{month[2]}-{number:02d}"


_NOMIS_DATE = r"latest(?:MINUS[0-9]+)?|first|[0-9]{4}(?:-[0-9]{2})?"


def nomis_periods(date: str, codes: list[str]) -> list[int]:
    """Indices (into `codes`, oldest first) of the periods a Nomis `date=` names.

    Nomis takes `latest`, `latestMINUSn`, `first`, date codes, ranges `a-b` (every period from a
    to b) and comma lists of these (reference/public-sources.md §2.2). A date the dataset does not
    have is an error, as Nomis refuses one.
    """
    def index(token: str) -> int:
        if token == "first":
            return 0
        if token.startswith("latest"):
            back = int(token.removeprefix("latest").removeprefix("MINUS") or 0)
            if back >= len(codes):
                raise ValueError(f"date {token}: the dataset has {len(codes)} periods")
            return len(codes) - 1 - back
        if token not in codes:
            raise ValueError(f"date {token} is not a period of this dataset "
                             f"({codes[0]} to {codes[-1]})")
        return codes.index(token)

    found: list[int] = []
    for item in date.split(","):
        item = item.strip()
        pair = re.fullmatch(f"({_NOMIS_DATE})-({_NOMIS_DATE})", item)
        if pair:
            low, high = sorted((index(pair[1]), index(pair[2])))
            found += range(low, high + 1)
        elif re.fullmatch(_NOMIS_DATE, item):
            found.append(index(item))
        else:
            raise ValueError(f"date {item!r} is not a Nomis date")
    return sorted(set(found))


class SampleApi:
    """The three publishers' APIs over the SAMPLE data, answering one request at a time.

    `scale` multiplies the rows of the revenue outturn and homelessness cubes with finer
    categories (see the module docstring); the published figures are the same at any scale.
    """

    def __init__(self, base_urls: dict[str, str], scale: int = 1, nomis_page_size: int = 25000,
                 seed: int = 2026):
        if scale < 1 or nomis_page_size < 1:
            raise ValueError("scale and nomis_page_size must be at least 1")
        self.base_urls = {k: v.rstrip("/") for k, v in base_urls.items()}
        self.scale, self.nomis_page_size, self.seed = scale, nomis_page_size, seed
        self._ctx = _Ctx(seed, scale, {})
        self._ctx.pop.update(_population(self._ctx.rng("population"), self._ctx.years()))
        self._datasets = {(ds.provider, ds.dataset_id): ds for ds in catalogue().values()
                          if ds.key in GENERATORS}
        self._cache: dict[tuple, Any] = {}
        self._lock = threading.RLock()  # ThreadingHTTPServer calls handle() from many threads
        from sources.sample_cubes import CUBES  # it builds on this module's invented data
        self._sw = StatsWalesSample({k: (lambda b=b: b(self._ctx)) for k, b in CUBES.items()},
                                    PUBLISHED, UPDATED)
        routers = {"statswales": self._statswales, "nomis": self._nomis, "ons": self._ons,
                   "ons_download": self._ons_download}
        # Longest path first: the real ONS download host has an empty path that matches anything.
        prefixes = {k: urlsplit(self.base_urls[k]).path.rstrip("/") for k in routers}
        self._routes = sorted(((prefixes[k], r) for k, r in routers.items()), key=lambda kr: -len(kr[0]))

    def handle(self, method: str, url: str, body: bytes | None = None) -> Response:
        """Answer one request; the URL is absolute but only its path and query matter."""
        parts = urlsplit(url)
        path = unquote(parts.path).rstrip("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        for prefix, router in self._routes:
            if path.startswith(prefix + "/"):
                answer = router(method.upper(), path[len(prefix):].strip("/").split("/"), query, body)
                if answer is not None:
                    return answer
        return _json(404, {"error": "not found"})

    def rows(self, key: str) -> list[Row]:
        """The invented observations of one catalogue dataset, keyed by canonical column name."""
        return self._memo(("rows", key), lambda: GENERATORS[key](self._ctx))

    def _memo(self, key: tuple, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    # StatsWales v2 --------------------------------------------------------------

    def _statswales(self, method: str, seg: list[str], query: dict[str, str], body: bytes | None):
        with self._lock:
            answer = self._sw.handle(method, seg, query, body)
        return None if answer is None else Response(*answer)

    # Nomis ----------------------------------------------------------------------

    def _nomis(self, method: str, seg: list[str], query: dict[str, str], _body: bytes | None):
        match = re.fullmatch(r"(\w+)\.data\.csv", seg[-1]) if seg[:1] == ["dataset"] else None
        if method != "GET" or len(seg) != 2 or match is None:
            return None
        ds = self._datasets.get(("nomis", match[1].upper()))
        if ds is None:
            return _html(400, f"Cannot find dataset {match[1]}")
        by_header = {c.header("en").upper(): c.name for c in ds.columns}
        select = [s.strip().upper() for s in query.get("select", ",".join(by_header)).split(",") if s.strip()]
        unknown = [s for s in select if s not in by_header]
        if unknown:
            return _html(400, f"Unknown column(s) in select: {', '.join(unknown)}")
        try:
            offset = int(query.get("recordOffset", 0))
        except ValueError:
            offset = -1
        if offset < 0:
            return _html(400, "recordOffset must be a whole number")
        rows = self._nomis_dates(ds, query.get("date"))
        if isinstance(rows, Response):
            return rows
        extra = {"record_offset": offset, "record_count": len(rows)}
        lines = [",".join(_nomis_cell(s) for s in select)]
        for row in rows[offset: offset + self.nomis_page_size]:
            full = {**row, **extra}
            lines.append(",".join(_nomis_cell(full[by_header[s]]) for s in select))
        return Response(200, {"Content-Type": "text/csv"}, ("\r\n".join(lines) + "\r\n").encode())

    def _nomis_dates(self, ds: Dataset, date: str | None) -> list[Row] | Response:
        """The rows of the periods `date=` names, by Nomis' rules (see `nomis_periods`).

        The catalogue's own `date=` (or none) answers the sample's whole window.
        """
        window = self.rows(ds.key)
        if date is None or date == ds.request.get("date"):
            return window
        series = [*(HISTORY[ds.key](self._ctx) if ds.key in HISTORY else []), *window]
        codes = list(dict.fromkeys(nomis_date_code(r["date_name"]) for r in series))
        try:
            wanted = {codes[i] for i in nomis_periods(date, codes)}
        except ValueError as exc:
            return _html(400, str(exc))
        return [r for r in series if nomis_date_code(r["date_name"]) in wanted]

    # ONS CMD --------------------------------------------------------------------

    def _ons_csv(self, ds: Dataset) -> bytes:
        return self._memo(("ons", ds.key), lambda: _csv(
            [c.header("en") for c in ds.columns],
            [[r[c.name] for c in ds.columns] for r in self.rows(ds.key)]))

    def _ons(self, method: str, seg: list[str], _query: dict[str, str], _body: bytes | None):
        ds = self._datasets.get(("ons", seg[1])) if len(seg) > 1 and seg[0] == "datasets" else None
        if method != "GET" or ds is None:
            return None
        base = f"{self.base_urls['ons']}/datasets/{ds.dataset_id}"
        version = f"{base}/editions/{ONS_EDITION}/versions/{ONS_VERSION}"
        if len(seg) == 2:
            return _json(200, {"id": ds.dataset_id, "title": ds.title_en, "description": SAMPLE_EN,
                               "state": "published", "links": {
                                   "self": {"href": base}, "editions": {"href": f"{base}/editions"},
                                   "latest_version": {"href": version, "id": str(ONS_VERSION)}}})
        if seg[2:] == ["editions", ONS_EDITION, "versions", str(ONS_VERSION)]:
            csv_href = (f"{self.base_urls['ons_download']}/downloads/datasets/{ds.dataset_id}"
                        f"/editions/{ONS_EDITION}/versions/{ONS_VERSION}.csv")
            return _json(200, {
                "id": hashlib.sha256(version.encode()).hexdigest()[:32], "version": ONS_VERSION,
                "edition": ONS_EDITION, "release_date": f"{ONS_RELEASED}T00:00:00.000Z", "state": "published",
                "downloads": {"csv": {"href": csv_href, "size": str(len(self._ons_csv(ds)))}},
                "links": {"self": {"href": version}, "dataset": {"href": base, "id": ds.dataset_id}}})
        return None

    def _ons_download(self, method: str, seg: list[str], _query: dict[str, str], _body: bytes | None):
        if method != "GET" or len(seg) != 7 or seg[:2] != ["downloads", "datasets"]:
            return None
        ds = self._datasets.get(("ons", seg[2]))
        if ds is None or seg[3:] != ["editions", ONS_EDITION, "versions", f"{ONS_VERSION}.csv"]:
            return None
        return Response(200, {"Content-Type": "text/csv"}, self._ons_csv(ds))


# ---------------------------------------------------------------- loopback HTTP


def serve(api: SampleApi, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Serve `api` over HTTP from a daemon thread; stop with `server.shutdown()`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as clients with sessions expect
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            url = f"http://{self.headers.get('Host', host)}{self.path}"
            try:
                answer = api.handle(self.command, url, body)
            except Exception as exc:  # a bug in the sample must not hang the client
                answer = _json(500, {"error": f"{type(exc).__name__}: {exc}"})
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = _answer

        def log_message(self, *_args: Any) -> None:  # tests and benchmarks need no access log
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sample-api", daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


def mirror_urls(root: str) -> dict[str, str]:
    """Base URLs of a mirror served at `root` (e.g. `http://127.0.0.1:8765`)."""
    return {"statswales": f"{root}/statswales/v2", "nomis": f"{root}/nomis/api/v01",
            "ons": f"{root}/ons/v1", "ons_download": f"{root}/ons-download"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the SAMPLE publisher APIs on loopback HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--scale", type=int, default=1, help="grow the sample by detail (see the module)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    urls = mirror_urls(f"http://{args.host}:{args.port}")
    server, root = serve(SampleApi(urls, scale=args.scale, seed=args.seed), args.host, args.port)
    print("DATA_CYMRU_MODE=live")
    for provider, variable in URL_ENV.items():  # the ONS download host is linked from ONS answers
        print(f"{variable}={urls[provider]}")
    sys.stdout.flush()  # callers read these lines from a pipe while the server keeps running
    print(f"serving SAMPLE data at {root}; Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
