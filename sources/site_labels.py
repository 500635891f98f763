"""Every word of the benchmarking pages, in English and Welsh, in one place.

The Welsh has not been reviewed by a translator yet; the pages say so.
"""

from __future__ import annotations

LANGUAGES = ("en", "cy")

LABELS: dict[str, tuple[str, str]] = {
    "site_title": ("Council benchmarking", "Meincnodi cynghorau"),
    "language_switch": ("Cymraeg", "English"),
    "language_switch_name": ("Darllenwch y dudalen hon yn Gymraeg", "Read this page in English"),
    "councils": ("Councils", "Cynghorau"),
    "measures": ("Measures", "Mesurau"),
    "council": ("Council", "Cyngor"),
    "measure": ("Measure", "Mesur"),
    "period": ("Period", "Cyfnod"),
    "value": ("Value", "Gwerth"),
    "rank": ("Rank among councils", "Safle ymhlith y cynghorau"),
    "rank_of": ("{rank} of {count}", "{rank} o {count}"),
    "quartile": ("Quartile", "Chwartel"),
    "quartile_text": ("{q} (1 = best quarter)", "{q} (1 = y chwarter gorau)"),
    "wales": ("Wales", "Cymru"),
    "direction": ("Since the previous period", "Ers y cyfnod blaenorol"),
    "previous": ("previous period {period}: {value}", "cyfnod blaenorol {period}: {value}"),
    "improved": ("improved", "wedi gwella"),
    "declined": ("declined", "wedi dirywio"),
    "unchanged": ("unchanged", "dim newid"),
    "not comparable": ("not comparable", "dim modd cymharu"),
    "not_ranked": ("not ranked in this release", "heb ei restru yn y datganiad hwn"),
    "no_value": ("no figure", "dim ffigur"),
    "marker": ("Marker", "Marciwr"),
    "notes": ("Notes", "Nodiadau"),
    "marker_notes": ("Marker and notes", "Marciwr a nodiadau"),
    "unit": ("Unit", "Uned"),
    "higher_is_better": ("higher is better", "gorau po uchaf"),
    "lower_is_better": ("lower is better", "gorau po isaf"),
    "neutral": ("neither higher nor lower is better", "nid yw uwch nac is yn well"),
    "all_councils_chart": ("All 22 councils, {period}", "Y 22 cyngor, {period}"),
    "all_councils_desc": ("Horizontal bars of the councils with a value, largest first; {council} "
                          "is highlighted in orange and marked ▶. The dashed line is Wales.",
                          "Barrau llorweddol ar gyfer y cynghorau sydd â gwerth, y mwyaf yn gyntaf; "
                          "mae {council} wedi'i amlygu mewn oren a'i nodi â ▶. Y llinell doredig "
                          "yw Cymru."),
    "series_chart": ("{council} over time, with Wales", "{council} dros amser, gyda Chymru"),
    "series_desc": ("Line chart, oldest period on the left: solid line and circles {council}, "
                    "dashed line and squares Wales.",
                    "Siart linell, y cyfnod hynaf ar y chwith: llinell solet a chylchoedd "
                    "{council}, llinell doredig a sgwariau Cymru."),
    "table_of_numbers": ("Table of the numbers", "Tabl o'r rhifau"),
    "trace": ("Where this figure comes from", "O ble daw'r ffigur hwn"),
    "trace_text": ("Row {row} of the release file {file}, from the source dataset {dataset} "
                   "(archived file sha256 {sha}). To follow it back to the archived bytes, "
                   "with every model and check on the way, run:",
                   "Rhes {row} o ffeil y datganiad {file}, o'r set ddata ffynhonnell {dataset} "
                   "(sha256 y ffeil a archifwyd {sha}). I'w olrhain yn ôl i'r beitiau a "
                   "archifwyd, gyda phob model a gwiriad ar y ffordd, rhedwch:"),
    "release": ("Release", "Datganiad"),
    "measure_page": ("Every council on this measure", "Pob cyngor ar y mesur hwn"),
    "back_to_index": ("All councils and measures", "Pob cyngor a mesur"),
    "latest_period": ("Latest period", "Cyfnod diweddaraf"),
    "welsh_unreviewed": ("The Welsh text of these pages awaits review by a translator.",
                         "Mae testun Cymraeg y tudalennau hyn yn aros am adolygiad gan gyfieithydd."),
    "no_ranks_mart": ("This release does not rank councils; values are shown as published.",
                      "Nid yw'r datganiad hwn yn rhestru cynghorau; dangosir y gwerthoedd fel y'u "
                      "cyhoeddwyd."),
}


def label(key: str, lang: str, **values: object) -> str:
    """The label in a language (`en` or `cy`), with `{names}` filled in."""
    text = LABELS[key][LANGUAGES.index(lang)]
    return text.format(**values) if values else text
