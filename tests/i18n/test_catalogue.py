"""The Welsh catalogue: complete against what the code says today, and read as the CLI uses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from sources import i18n
from sources.i18n_check import TEMPLATE, check_catalogue

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE_KEYWORDS = re.search(r"^I18N_KEYWORDS := (.+)$", (ROOT / "Makefile").read_text(), re.M)


def extract(target: Path) -> Path:
    """What `make i18n` extracts, written to `target` (never into the working tree)."""
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                                *MAKEFILE_KEYWORDS.group(1).split(), "--no-location",
                                "-o", str(target), str(ROOT)])
    return target


def msgids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_msgid_in_the_code_has_welsh_with_the_same_placeholders(tmp_path):
    result = check_catalogue(template=extract(tmp_path / "messages.pot"))
    assert result.msgids > 150
    assert result.ok, "run `make i18n` and translate:\n" + "\n".join(result.lines())


def test_the_committed_template_is_what_the_code_says(tmp_path):
    fresh, committed = msgids(extract(tmp_path / "messages.pot")), msgids(TEMPLATE)
    assert fresh == committed, (f"run `make i18n`: new msgids {sorted(fresh - committed)}, "
                                f"gone {sorted(committed - fresh)}")


def test_a_missing_welsh_msgstr_is_named(tmp_path):
    po = i18n.po_path("cy").read_text(encoding="utf-8")
    broken = tmp_path / "messages.po"
    broken.write_text(po.replace('msgstr "Crynodeb"', 'msgstr ""'), encoding="utf-8")
    result = check_catalogue(welsh=broken)
    assert result.missing == ["Summary"]
    assert "Welsh msgid missing or empty: 'Summary'" in result.lines()


def test_placeholders_that_differ_are_named(tmp_path):
    po = i18n.po_path("cy").read_text(encoding="utf-8")
    broken = tmp_path / "messages.po"
    broken.write_text(po.replace('msgstr "adferwyd: {note}"', 'msgstr "adferwyd: {nodyn}"'),
                      encoding="utf-8")
    assert check_catalogue(welsh=broken).placeholders_differ == ["recovered: {note}"]


def test_unreviewed_welsh_is_used_and_reported_as_unreviewed():
    assert i18n.gettext("recovered: {note}", "cy") == "adferwyd: {note}"
    assert i18n.status("recovered: {note}") == "unreviewed"
    # Welsh that was already published by the platform is carried over as it stood.
    assert i18n.both("Summary") == ("Summary", "Crynodeb")
    assert i18n.status("Summary") == "reviewed"
    assert i18n.status("a sentence nobody wrote") == "missing"
    assert i18n.gettext("a sentence nobody wrote", "cy") == "a sentence nobody wrote"


def test_welsh_plural_forms_follow_the_count():
    forms = {n: i18n.ngettext("{sha} ({count} file)", "{sha} ({count} files)", n, "cy")
             for n in (0, 1, 2, 3, 6, 11)}
    assert set(forms.values()) == {"{sha} ({count} ffeil)"}
    assert i18n.ngettext("{sha} ({count} file)", "{sha} ({count} files)", 2, "en") == "{sha} ({count} files)"


def test_language_comes_from_the_flag_then_the_environment(monkeypatch):
    monkeypatch.setenv("DATA_CYMRU_LANG", "cy")
    i18n.set_language(None)
    assert i18n.gettext("Summary") == "Crynodeb"
    i18n.set_language("en")
    assert i18n.gettext("Summary") == "Summary"
    i18n.set_language(None)
    monkeypatch.setenv("DATA_CYMRU_LANG", "fr")
    with pytest.raises(i18n.LanguageError, match="DATA_CYMRU_LANG is 'fr'"):
        i18n.language()


def test_settings_mistakes_are_said_in_the_chosen_language(tmp_path):
    from sources.settings import Settings, SettingsError, disk_full_sentence

    i18n.set_language("cy")
    try:
        with pytest.raises(SettingsError) as raised:
            Settings.from_env({"DATA_CYMRU_MODE": "rhywbeth", "DATA_CYMRU_HOME": str(tmp_path)})
        assert str(raised.value) == "rhaid i DATA_CYMRU_MODE fod yn 'snapshot' neu'n 'live', nid 'rhywbeth'"
        with pytest.raises(SettingsError, match="rhaid i DATA_CYMRU_LOCK_WAIT fod yn nifer o eiliadau"):
            Settings.from_env({"DATA_CYMRU_LOCK_WAIT": "-1", "DATA_CYMRU_HOME": str(tmp_path)})
        assert disk_full_sentence("/srv/data").startswith("disg yn llawn wrth ysgrifennu /srv/data")
    finally:
        i18n.set_language(None)
