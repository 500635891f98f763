"""The five SAMPLE StatsWales cubes: invented figures shaped like the published datasets.

Dimension names follow the public evidence of each dataset (reference/wire-formats.md) where there
is some: council tax Authority / Year / Band; revenue outturn Year / Service / Authority with the
measures "£ thousand" and "£ per head"; homelessness Period / Area / Successful cases; WIMD
Area code / Area name / Domain with Rank, Decile and Quintile. Everything else (fact-table column
names, reference codes, Welsh names, municipal waste's dimensions) is invented, as are all figures.
The catalogue is not read here: the client must find its columns through the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sources import sample_api as data
from sources.sample_statswales import Bi, Cube, Dim, Value

SAMPLE: Bi = (data.SAMPLE_EN, data.SAMPLE_CY)
# A figure the generators replaced with shorthand is published as NULL with the reason as a note
# code (`src/enums/note-code.ts`): x not available, c confidential, z not applicable.
MARKER_CODES = {"[x]": "x", "..": "x", "[c]": "c", "[z]": "z"}


def _fact(refs: list[str], value: Any, notes: str = "") -> tuple:
    codes = set(filter(None, notes.split(",")))
    if isinstance(value, str):
        codes.add(MARKER_CODES[value])
        value = None
    return (*refs, value, ",".join(sorted(codes)) or None)


def _areas(fact: str, name: Bi) -> Dim:
    """Wales at the root, the 22 councils below it (labels padded as real output sometimes is)."""
    wales = Value(data.WALES[0], data._area(data.WALES[0]), sort=0)
    councils = [Value(gss, data._area(gss), data.WALES[0], sort=k)
                for k, (gss, *_rest) in enumerate(data.COUNCILS, start=1)]
    return Dim(fact, name, (wales, *councils))


def _periods(fact: str, name: Bi, labels: list[str], compact: bool = False) -> Dim:
    """Financial years; `compact` references read `202324` where the label is `2023-24`."""
    return Dim(fact, name, tuple(Value(label.replace("-", "") if compact else label, (label, label),
                                       sort=k) for k, label in enumerate(labels)))


def _measures(fact: str, labels: list[tuple[str, Bi]]) -> Dim:
    return Dim(fact, ("Data description", "Disgrifiad o\u2019r data"),
               tuple(Value(ref, label, sort=k) for k, (ref, label) in enumerate(labels)))


def _waste(ctx: Any) -> Cube:
    rows = data._count_and_rate(ctx, "waste", data.WASTE)
    refs = {code: str(k) for k, (code, _label) in enumerate(data.WASTE.measures, start=1)}
    periods = sorted({r["year"] for r in rows})
    return Cube(
        "de018732-b5dc-4c91-8e05-ae35bbff1e3e",
        ("Municipal waste reused, recycled or composted by local authority (SAMPLE)",
         "Gwastraff trefol wedi'i ailddefnyddio, ei ailgylchu neu ei gompostio fesul awdurdod lleol (SAMPL)"),
        (_areas("LA_Code", ("Local authority", "Awdurdod lleol")),
         _periods("FinYear", ("Financial year", "Blwyddyn ariannol"), periods, compact=True)),
        _measures("Measure", [(refs[c], label) for c, label in data.WASTE.measures]),
        [_fact([r["area_code"], r["year"].replace("-", ""), refs[r["measure_code"]]], r["value"],
               r["note_codes"]) for r in rows], SAMPLE)


OUTCOMES: tuple[tuple[str, Bi, str | None], ...] = (
    ("100", ("All successful cases", "Pob achos llwyddiannus"), None),
    ("110", ("Total cases able to remain in existing home",
             "Cyfanswm yr achosion a allai aros yn eu cartref presennol"), "100"),
    ("120", ("Total cases assisted to obtain alternative accommodation",
             "Cyfanswm yr achosion a gafodd gymorth i gael llety arall"), "100"),
)
HOMELESSNESS_MEASURES: tuple[tuple[str, Bi], ...] = (
    ("1", ("Total", "Cyfanswm")), ("2", ("Homelessness Prevented", "Atal digartrefedd")),
    ("3", ("Homelessness Relieved", "Lliniaru digartrefedd")))


def homelessness_outcomes(scale: int) -> list[tuple[str, Bi, str | None]]:
    """The outcomes at `scale`: OUTCOMES, then detail outcomes under its two branches.

    The published "Successful cases" dimension is a hierarchy under all successful cases
    (catalogue evidence; reference/wire-formats.md, `<Dim>_hierarchy`) with finer outcomes below
    the two branches; the sample's are invented and numbered.
    """
    branches = [o for o in OUTCOMES if o[2] is not None]
    counts = data.detail_counts(scale, len(branches), len(OUTCOMES))
    return [*OUTCOMES, *((f"{ref}{j:03d}", (f"{en}: detail {j}", f"{cy}: manylyn {j}"), ref)
                         for (ref, (en, cy), _parent), count in zip(branches, counts, strict=True)
                         for j in range(1, count + 1))]


def _homelessness(ctx: Any) -> Cube:
    """Successful cases by outcome, prevented and relieved.

    A household kept in its home was never homeless, so it cannot have been relieved: that cell is
    'not applicable', as on the published page. At `scale` > 1 the two branches have detail
    outcomes that add up to them (`homelessness_outcomes`).
    """
    rng, facts = ctx.rng("homelessness"), []
    outcomes = homelessness_outcomes(ctx.scale)
    remain_lines = [ref for ref, _label, parent in outcomes[len(OUTCOMES):] if parent == "110"]
    other_lines = [ref for ref, _label, parent in outcomes[len(OUTCOMES):] if parent == "120"]
    years = [data._fy(y) for y in ctx.years()]
    level = {gss: rng.uniform(0.002, 0.004) for gss, *_ in data.COUNCILS}
    for i, year in enumerate(years):
        cells: dict[str, tuple[int, int, int]] = {}
        for gss, *_ in data.COUNCILS:
            prevented = round(ctx.people(ctx.years()[i], gss) * level[gss] * rng.uniform(0.9, 1.1))
            remain = round(prevented * rng.uniform(0.3, 0.5))
            cells[gss] = (remain, prevented - remain, round(prevented * rng.uniform(0.6, 0.9)))
        cells = {data.WALES[0]: tuple(map(sum, zip(*cells.values(), strict=True))), **cells}
        # Details split each council's branch; Wales adds the councils' details, as it adds theirs.
        details = {gss: [*((ref, prev, "[z]") for ref, prev in
                           zip(remain_lines, data.detail_split(remain, len(remain_lines)), strict=True)),
                         *zip(other_lines, data.detail_split(alternative, len(other_lines)),
                              data.detail_split(relieved, len(other_lines)), strict=True)]
                   for gss, (remain, alternative, relieved) in cells.items() if gss != data.WALES[0]}
        details[data.WALES[0]] = [
            (ref, sum(d[k][1] for d in details.values()),
             rel if isinstance(rel, str) else sum(d[k][2] for d in details.values()))
            for k, (ref, _prev, rel) in enumerate(next(iter(details.values())))]
        for gss, (remain, alternative, relieved) in cells.items():
            notes = "p" if i == len(years) - 1 else ""
            prevented = remain + alternative
            for outcome, prev, rel in (("100", prevented, relieved), ("110", remain, "[z]"),
                                       ("120", alternative, relieved), *details[gss]):
                total = prev + rel if not isinstance(rel, str) else prev
                for measure, value in (("1", total), ("2", prev), ("3", rel)):
                    facts.append(_fact([year, gss, outcome, measure], value, notes))
    return Cube(
        "9178f117-b84d-4494-ada6-8ebffab4778d",
        ("All cases where positive action succeeded in preventing/relieving homelessness (SAMPLE)",
         "Pob achos lle llwyddodd camau cadarnhaol i atal/lliniaru digartrefedd (SAMPL)"),
        (_periods("Period", ("Period", "Cyfnod"), years),
         _areas("Area", ("Area", "Ardal")),
         Dim("Outcome", ("Successful cases", "Achosion llwyddiannus"),
             tuple(Value(ref, label, parent, sort=k) for k, (ref, label, parent) in enumerate(outcomes)))),
        _measures("Measure", list(HOMELESSNESS_MEASURES)), facts, SAMPLE)


def _council_tax(ctx: Any) -> Cube:
    rows = data._council_tax(ctx)
    bands = sorted(data.BAND_NINTHS)
    periods = sorted({r["year"] for r in rows})
    return Cube(
        "1988b6af-2a9c-43b6-8939-83e6cceb3903",
        ("Council tax levels by billing authority and band (SAMPLE)",
         "Lefelau'r dreth gyngor fesul awdurdod bilio a band (SAMPL)"),
        (_areas("Authority", ("Authority", "Awdurdod")),
         _periods("Year", ("Year", "Blwyddyn"), periods),
         Dim("Band", ("Band", "Band"), tuple(Value(str(k), (f"Band {b}", f"Band {b}"), sort=k)
                                             for k, b in enumerate(bands, start=1)))),
        _measures("Measure", [("1", ("Council tax (£ per dwelling)", "Treth gyngor (£ y tŷ)"))]),
        [_fact([r["area_code"], r["year"], str(bands.index(r["band_code"]) + 1), "1"], r["value"],
               r["note_codes"]) for r in rows], SAMPLE)


def _revenue(ctx: Any) -> Cube:
    rows = data._revenue(ctx)
    detail = data.revenue_detail(ctx.scale)
    services = ([("TOT", *data.REVENUE_TOTAL)] + [(c, en, cy) for c, en, cy, _h in data.SERVICES]
                + [(c, en, cy) for c, (en, cy), _parent in detail])
    refs = {code: str(100 + k) for k, (code, *_l) in enumerate(services)}
    parents = {c: "TOT" for c, *_l in data.SERVICES} | {c: parent for c, _label, parent in detail}
    periods = sorted({r["year"] for r in rows})
    measures = {"THOUS": "1", "HEAD": "2"}
    return Cube(
        "213aeb99-18eb-42c9-b00e-e4b716e82cdf",
        ("Revenue outturn expenditure by authority and service (SAMPLE)",
         "Gwariant alldro refeniw fesul awdurdod a gwasanaeth (SAMPL)"),
        (_periods("Year_Code", ("Year", "Blwyddyn"), periods),
         Dim("Service_Code", ("Service", "Gwasanaeth"),
             tuple(Value(refs[c], (en, cy), refs[parents[c]] if c in parents else None, sort=k)
                   for k, (c, en, cy) in enumerate(services))),
         _areas("Authority_Code", ("Authority", "Awdurdod"))),
        _measures("Measure", [("1", ("£ thousand", "£ mil")), ("2", ("£ per head", "£ y pen"))]),
        [_fact([r["year"], refs[r["service_code"]], r["area_code"], measures[r["measure_code"]]],
               r["value"], r["note_codes"]) for r in rows], SAMPLE)


WIMD_MEASURES: tuple[tuple[str, Bi], ...] = (
    ("11", ("Rank", "Safle")), ("12", ("Decile", "Degradd")), ("13", ("Quintile", "Cwintel")))


def _wimd(ctx: Any) -> Cube:
    """Every LSOA's rank, decile and quintile in each domain; ranks tie as published ones can."""
    rows = data._wimd(ctx)
    n = data.LSOAS
    domains = {code: (str(k), (en, cy)) for k, (code, en, cy) in enumerate(data.DOMAINS, start=1)}
    lsoas = {r["area_code"]: (r["area_name"], r["area_hierarchy"]) for r in rows}
    councils = [Value(gss, (en, cy), sort=k) for k, (gss, en, cy, *_r) in enumerate(data.COUNCILS)]
    areas = [*councils, *(Value(code, label, parent, sort=100 + k)
                          for k, (code, (label, parent)) in enumerate(lsoas.items()))]
    facts = []
    for r in rows:
        rank = r["value"]
        if r["domain_code"] == "HOU" and rank in (101, 1500):  # a published tie: two LSOAs share
            rank -= 1                                           # a rank, the next one is skipped
        ref = domains[r["domain_code"]][0]
        groups = (("11", rank), ("12", (rank - 1) * 10 // n + 1), ("13", (rank - 1) * 5 // n + 1))
        for measure, value in groups:
            facts.append(_fact([r["area_code"], r["area_name"][0], ref, measure], value))
    return Cube(
        "9706edd9-73ad-4902-bb12-7ccd7038626e",
        ("WIMD 2025 index and domain ranks and groups by LSOA (SAMPLE)",
         "MALlC 2025, safleoedd a grwpiau'r mynegai a'r parthau fesul ACEHI (SAMPL)"),
        (Dim("AreaCode", ("Area code", "Cod ardal"), tuple(areas)),
         # A text dimension: its values are the fact table's own, the same in both languages.
         Dim("AreaName", ("Area name", "Enw ardal"),
             tuple(Value(label[0], (label[0], label[0])) for label, _p in lsoas.values())),
         Dim("Domain", ("Domain", "Parth"), tuple(Value(ref, label, sort=int(ref))
                                                  for ref, label in domains.values()))),
        _measures("Measure", list(WIMD_MEASURES)), facts, SAMPLE)


CUBES: dict[str, Callable[[Any], Cube]] = {
    "de018732-b5dc-4c91-8e05-ae35bbff1e3e": _waste,
    "9178f117-b84d-4494-ada6-8ebffab4778d": _homelessness,
    "1988b6af-2a9c-43b6-8939-83e6cceb3903": _council_tax,
    "213aeb99-18eb-42c9-b00e-e4b716e82cdf": _revenue,
    "9706edd9-73ad-4902-bb12-7ccd7038626e": _wimd,
}
