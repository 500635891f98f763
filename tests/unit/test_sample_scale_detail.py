"""How the SAMPLE grows with `scale`: by detail categories, not by reaching back in time.

Scale 1 is the bundled sample; at any scale every period series keeps its periods and figures, and
the revenue outturn and homelessness cubes have `scale` times the rows, from detail categories
below their hierarchies that add up to their parents (so the marts, which read the roots, publish
the same figures).
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from sources.catalogue import catalogue
from sources.sample_api import COUNCILS, GENERATORS, WALES, SampleApi, detail_counts
from sources.sample_cubes import CUBES, OUTCOMES

URLS = {"statswales": "https://api.stats.gov.wales/v2", "nomis": "https://www.nomisweb.co.uk/api/v01",
        "ons": "https://api.beta.ons.gov.uk/v1", "ons_download": "https://download.ons.gov.uk"}
IDS = {key: ds.dataset_id for key, ds in catalogue().items()}
REVENUE, HOMELESSNESS = IDS["statswales__revenue_outturn"], IDS["statswales__homelessness_prevention"]
GROWING = {REVENUE, HOMELESSNESS}


def cube(scale: int, dataset_id: str):
    return CUBES[dataset_id](SampleApi(URLS, scale=scale)._ctx)


@pytest.fixture(scope="module")
def small():
    return {dataset_id: cube(1, dataset_id) for dataset_id in CUBES}


@pytest.fixture(scope="module")
def big():
    return {dataset_id: cube(7, dataset_id) for dataset_id in CUBES}


def test_detail_counts_add_up_to_scale_times_the_categories():
    assert detail_counts(1, 8, 9) == [0] * 8
    for scale, parents, categories in ((2, 8, 9), (7, 2, 3), (100, 8, 9), (100, 2, 3)):
        counts = detail_counts(scale, parents, categories)
        assert sum(counts) + categories == scale * categories
        assert max(counts) - min(counts) <= 1  # spread evenly over the parents


def test_rows_grow_linearly_and_only_in_the_growing_cubes(small, big):
    for dataset_id, grown in big.items():
        factor = 7 if dataset_id in GROWING else 1
        assert len(grown.facts) == factor * len(small[dataset_id].facts), dataset_id
    for key in GENERATORS:  # Nomis and ONS: the same rows at any scale
        assert SampleApi(URLS, scale=7).rows(key) == SampleApi(URLS).rows(key), key


def test_every_scale_1_fact_is_unchanged_and_the_periods_are_the_same(small, big):
    for dataset_id, grown in big.items():
        assert set(small[dataset_id].facts) <= set(grown.facts), dataset_id
        periods = [k for k, dim in enumerate(grown.dims) if dim.fact in ("Period", "Year", "Year_Code",
                                                                         "FinYear")]
        for k in periods:
            assert {f[k] for f in grown.facts} == {f[k] for f in small[dataset_id].facts}, dataset_id


def test_no_period_before_1990_at_a_large_scale():
    # The generator used to reach back `scale` times as far, which gave years before 1900 at ×22.
    api = SampleApi(URLS, scale=100)
    for key in GENERATORS:
        for row in api.rows(key):
            period = row.get("date_name") or row.get("time")
            assert min(int(year) for year in re.findall(r"(?:19|20)\d\d", period)) >= 1990


def _children(grown, dim_fact: str) -> dict[str, list[str]]:
    dim = next(d for d in grown.dims if d.fact == dim_fact)
    children = defaultdict(list)
    for value in dim.values:
        if value.parent is not None:
            children[value.parent].append(value.reference)
    return children


@pytest.mark.parametrize(("dataset_id", "dim_fact", "root"), [
    (REVENUE, "Service_Code", "100"), (HOMELESSNESS, "Outcome", "100")])
def test_details_add_up_to_their_parent_and_wales_to_the_councils(big, dataset_id, dim_fact, root):
    grown = big[dataset_id]
    k = next(i for i, d in enumerate(grown.dims) if d.fact == dim_fact)
    area = next(i for i, d in enumerate(grown.dims) if d.fact in ("Area", "Authority_Code"))
    cells = {f[:-2]: f[-2] for f in grown.facts}
    children = {p: c for p, c in _children(grown, dim_fact).items() if p != root}
    assert children and all(len(c) >= 2 for c in children.values())
    checked = 0
    for key, value in cells.items():
        if key[k] not in children or value is None:
            continue
        if dataset_id == REVENUE and key[-1] != "1":  # £ per head is a rate: it does not add up
            continue
        parts = [cells[(*key[:k], child, *key[k + 1:])] for child in children[key[k]]]
        assert sum(p for p in parts if p is not None) == value, key
        checked += 1
    assert checked
    for key, value in cells.items():  # Wales = the sum of the councils, detail included
        if key[area] != WALES[0] or value is None or (dataset_id == REVENUE and key[-1] != "1"):
            continue
        councils = [cells[(*key[:area], c[0], *key[area + 1:])] for c in COUNCILS]
        assert sum(v for v in councils if v is not None) == value, key


def test_detail_labels_are_bilingual_and_distinct(big):
    for dataset_id, dim_fact in ((REVENUE, "Service_Code"), (HOMELESSNESS, "Outcome")):
        dim = next(d for d in big[dataset_id].dims if d.fact == dim_fact)
        labels = [v.label for v in dim.values]
        assert len(set(labels)) == len(labels)
        assert all(en and cy and en != cy for en, cy in labels)
    assert len(next(d for d in big[HOMELESSNESS].dims if d.fact == "Outcome").values) == 7 * len(OUTCOMES)
