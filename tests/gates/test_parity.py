"""The bilingual-parity gates on a release's metadata, labels and report strings."""

from __future__ import annotations

import copy

from sources.gates.parity import metadata_pairs, parity_gates, template_msgids

ASSET = "release/release__mart_performance_framework"


def metadata() -> dict:
    return {
        "mart": "mart_performance_framework",
        "title_en": "Local government performance", "title_cy": "Perfformiad llywodraeth leol",
        "status_label_en": "Sample data", "status_label_cy": "Data sampl",
        "sources": [{"dataset": "statswales__municipal_waste", "title_en": "Municipal waste",
                     "title_cy": "Gwastraff trefol", "licence_en": "Open Government Licence v3.0",
                     "licence_cy": "Trwydded Llywodraeth Agored v3.0", "licence_cy_status": "unreviewed"}],
        "columns": [{"name": "rank", "description_en": "Rank, {n} councils",
                     "description_cy": "Safle, {n} cyngor", "description_cy_status": "reviewed"}],
    }


ENUMS = {"direction": ["improved", "not comparable"], "area_type": ["council", "country"]}


def run(doc: dict, enums: dict | None = None):
    bilingual, reviewed = parity_gates(doc, ENUMS if enums is None else enums, ASSET,
                                       ["unique_natural_key"])
    return bilingual, reviewed


def test_a_complete_release_passes_and_counts_unreviewed_welsh():
    bilingual, reviewed = run(metadata())
    assert bilingual.outcome == "passed", bilingual.failing_examples
    assert bilingual.examined > 100  # metadata pairs, registry sentences and report strings
    assert reviewed.outcome == "warned"
    assert reviewed.observed["unreviewed"] == sum(reviewed.observed["unreviewed_by_source"].values())
    assert reviewed.observed["unreviewed_by_source"]["sources"] == 2  # title (no status), licence


def test_removing_one_welsh_label_blocks_the_release():
    doc = copy.deepcopy(metadata())
    doc["sources"][0]["licence_cy"] = None
    bilingual, _reviewed = run(doc)
    assert bilingual.blocks and bilingual.outcome == "failed"
    assert bilingual.failing_examples == [{"where": "sources[0]", "string": "licence",
                                           "problem": "no Welsh"}]


def test_welsh_with_other_placeholders_blocks_the_release():
    doc = copy.deepcopy(metadata())
    doc["columns"][0]["description_cy"] = "Safle, {nifer} cyngor"
    bilingual, _reviewed = run(doc)
    assert bilingual.blocks
    assert bilingual.failing_examples[0]["problem"] == "placeholders differ"


def test_an_enumerated_value_without_words_blocks_the_release():
    bilingual, _reviewed = run(metadata(), {"direction": ["improved", "sideways"]})
    assert bilingual.blocks
    assert {"where": "column direction", "string": "sideways",
            "problem": "no words for this value"} in bilingual.failing_examples


def test_pairs_are_found_at_any_depth_and_the_report_strings_are_extracted():
    found = {(where, key) for where, key, *_ in metadata_pairs(metadata())}
    assert ("sources[0]", "licence") in found and ("columns[0]", "description") in found
    msgids = template_msgids()
    assert "Summary" in msgids and "Nothing was published; the previous release stays in place." in msgids
