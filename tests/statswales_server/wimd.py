"""A WIMD-2025-like cube: ranks, deciles and quintiles of every LSOA in each domain.

Facts from reference/wire-formats.md ("Real dimension names…"): the title, the English
dimension names `Area code`, `Area name`, `Domain`, several measures per LSOA and domain in
`Data description` (Rank, Decile, Quintile), published ranks that can tie, and domain references
that are the API's own. Everything Welsh below, and every reference code, is invented for tests
(a TEST FIXTURE, not the published Welsh metadata). Figures are deterministic (seeded) and invented.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

from .model import Cube, Dimension, Measure, Value

# The project's own list of the 22 councils (GSS code, English and Welsh names).
COUNCILS_CSV = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "dim_local_authority.csv"
WIMD_DATASET_ID = "9706edd9-73ad-4902-bb12-7ccd7038626e"
WIMD_TITLE = {
    "en": "WIMD 2025 index and domain ranks and groups by LSOA",
    "cy": "Safleoedd a grwpiau mynegai a pharthau MALlC 2025 yn ôl AGEHI [gosodiad prawf / test fixture]",
}
# (reference, English, Welsh): the API's own-style codes, chosen here; not the project's INC/EMP/….
DOMAINS = [
    ("D00", "WIMD 2025", "MALlC 2025"),
    ("D01", "Income", "Incwm"),
    ("D02", "Employment", "Cyflogaeth"),
    ("D03", "Health", "Iechyd"),
    ("D04", "Education", "Addysg"),
    ("D05", "Access to services", "Mynediad i wasanaethau"),
    ("D06", "Housing", "Tai"),
    ("D07", "Community safety", "Diogelwch cymunedol"),
    ("D08", "Physical environment", "Amgylchedd ffisegol"),
]
MEASURES = [("501", "Rank", "Safle"), ("502", "Decile", "Degradd"), ("503", "Quintile", "Cwintel")]
NOTE_CYCLE = ["p", "r", "r,p", "e", "c,p", "t"]


def read_councils(path: Path = COUNCILS_CSV) -> list[tuple[str, str, str]]:
    """The 22 councils (GSS code, English name, Welsh name), W06 codes only."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [(r["area_code"], r["area_name_en"], r["area_name_cy"]) for r in rows
            if r["area_code"].startswith("W06")]


def split_lsoas(total: int, councils: int, rng: random.Random) -> list[int]:
    """LSOAs per council: seeded, uneven, at least one each, summing to `total`."""
    if total < councils:
        raise ValueError(f"need at least one LSOA per council ({councils})")
    weights = [0.5 + rng.random() for _ in range(councils)]
    shares = [(total - councils) * w / sum(weights) for w in weights]
    counts = [1 + math.floor(s) for s in shares]
    by_fraction = sorted(range(councils), key=lambda i: shares[i] - math.floor(shares[i]), reverse=True)
    for i in by_fraction[: total - sum(counts)]:
        counts[i] += 1
    return counts


def competition_ranks(n: int, ties: int, rng: random.Random) -> list[int]:
    """Ranks 1..n for positions 0..n-1 where `ties` pairs share a rank and the next one is skipped
    (1, 2, 2, 4, …), as published WIMD ranks do."""
    candidates = list(range(1, n, 2))  # odd positions: pairs never chain into triples
    tied = set(rng.sample(candidates, min(ties, len(candidates))))
    ranks: list[int] = []
    for pos in range(n):
        ranks.append(ranks[-1] if pos in tied else pos + 1)
    return ranks


def _area_dimensions(councils: list[tuple[str, str, str]], counts: list[int]) -> tuple[Dimension, Dimension]:
    code_values = [
        Value(gss, {"en": en, "cy": cy}, sort_order=i + 1) for i, (gss, en, cy) in enumerate(councils)
    ]
    name_values: list[Value] = []
    serial = 0
    for (gss, en, cy), count in zip(councils, counts, strict=True):
        for i in range(count):
            serial += 1
            code = f"W01{serial:06d}"
            suffix = f"{i // 4 + 1:03d}{'ABCD'[i % 4]}"
            order = len(councils) + serial
            code_values.append(Value(code, {"en": code, "cy": code}, parent=gss, sort_order=order))
            name_values.append(
                Value(code, {"en": f"{en} {suffix}", "cy": f"{cy} {suffix}"}, sort_order=serial)
            )
    area_code = Dimension("AreaCode", {"en": "Area code", "cy": "Cod ardal"}, code_values)
    area_name = Dimension("AreaName", {"en": "Area name", "cy": "Enw ardal"}, name_values)
    return area_code, area_name


def build_wimd_cube(
    n_lsoas: int = 1917,
    *,
    seed: int = 2025,
    ties_per_domain: int = 3,
    noted_rows: int = 6,
    dataset_id: str = WIMD_DATASET_ID,
    councils_csv: Path = COUNCILS_CSV,
) -> Cube:
    """The WIMD cube: `n_lsoas` LSOAs (W01000001…) under the 22 councils (root values of
    `Area code`), 9 domains, and per LSOA and domain a Rank, Decile and Quintile."""
    rng = random.Random(seed)
    councils = read_councils(councils_csv)
    area_code, area_name = _area_dimensions(councils, split_lsoas(n_lsoas, len(councils), rng))
    lsoas = [v.reference for v in area_name.values]
    domain = Dimension(
        "Domain",
        {"en": "Domain", "cy": "Parth"},
        [Value(ref, {"en": en, "cy": cy}, sort_order=i + 1) for i, (ref, en, cy) in enumerate(DOMAINS)],
    )
    measure = Measure(
        "Measure",
        [
            Value(ref, {"en": en, "cy": cy}, sort_order=i + 1, fmt="integer")
            for i, (ref, en, cy) in enumerate(MEASURES)
        ],
    )
    ranks: dict[tuple[str, str], int] = {}
    for ref, _, _ in DOMAINS:
        order = rng.sample(lsoas, len(lsoas))
        for lsoa, rank in zip(order, competition_ranks(len(lsoas), ties_per_domain, rng), strict=True):
            ranks[(lsoa, ref)] = rank
    n = len(lsoas)
    facts = []
    for lsoa in lsoas:
        for ref, _, _ in DOMAINS:
            rank = ranks[(lsoa, ref)]
            groups = {"501": rank, "502": math.ceil(rank * 10 / n), "503": math.ceil(rank * 5 / n)}
            for mref, _, _ in MEASURES:
                facts.append(
                    {
                        "AreaCode": lsoa,
                        "AreaName": lsoa,
                        "Domain": ref,
                        "Measure": mref,
                        "value": groups[mref],
                        "notes": None,
                    }
                )
    for k, i in enumerate(sorted(rng.sample(range(len(facts)), min(noted_rows, len(facts))))):
        facts[i]["notes"] = NOTE_CYCLE[k % len(NOTE_CYCLE)]
    return Cube(
        dataset_id=dataset_id,
        title=dict(WIMD_TITLE),
        summary={
            "en": "Welsh Index of Multiple Deprivation 2025: ranks, deciles, quintiles (invented test data).",
            "cy": "Mynegai Amddifadedd Lluosog Cymru 2025 [gosodiad prawf / test fixture].",
        },
        dimensions=[area_code, area_name, domain],
        measure=measure,
        facts=facts,
        fact_table_order=["AreaCode", "AreaName", "Domain", "Measure"],
    )
