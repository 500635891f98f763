"""English and Welsh from gettext catalogues: `_()`, `ngettext()`, `both()` and translation status.

The English msgids are written in the code; the Welsh is `locale/cy/LC_MESSAGES/messages.po`,
managed with Babel (`make i18n`: extract, update, check). The `.po` is read directly with
Babel's `read_po` (cached per file modification time) rather than compiled to a `.mo`: gettext's
`.mo` files drop `fuzzy` entries, and a Welsh string a translator has not reviewed must still be
shown, and shown as unreviewed. So there is no build step, and a fresh clone works as it is.

The language is chosen per process by `set_language` (the CLI's `--lang`) or `DATA_CYMRU_LANG`,
read when a string is asked for, never at import. English is the default.
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "cy")
Status = Literal["reviewed", "unreviewed", "missing"]
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("datacymru_lang", default=None)


class LanguageError(ValueError):
    """An unknown language in `--lang` or `DATA_CYMRU_LANG`."""


@dataclass(frozen=True)
class Entry:
    """One Welsh translation: its text (or plural forms) and whether a translator reviewed it."""

    cy: tuple[str, ...]
    fuzzy: bool


def check_language(lang: str, where: str = "--lang") -> str:
    lang = lang.strip().lower()
    if lang not in LANGUAGES:
        # Said in both languages: which one the reader wanted is what went wrong.
        raise LanguageError(f"{where} is {lang!r}; use `en` (English) or `cy` (Cymraeg) / "
                            f"mae {where} yn {lang!r}; defnyddiwch `en` (Saesneg) neu `cy` (Cymraeg)")
    return lang


def set_language(lang: str | None) -> None:
    """The language of human output from here on (the CLI's `--lang`); None: `DATA_CYMRU_LANG`."""
    _chosen.set(check_language(lang) if lang else None)


def language() -> str:
    """`--lang` if given, else `DATA_CYMRU_LANG`, else English."""
    chosen = _chosen.get()
    if chosen:
        return chosen
    return check_language(os.environ.get("DATA_CYMRU_LANG") or "en", "DATA_CYMRU_LANG")


def po_path(lang: str = "cy") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@cache
def _read(path: Path, _mtime: float) -> dict[str, Entry]:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="cy")
    entries: dict[str, Entry] = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
        entries[key] = Entry(tuple(s or "" for s in forms), bool(message.fuzzy))
    return entries


def welsh_entries() -> dict[str, Entry]:
    """Every msgid of the Welsh catalogue with its translation (empty when missing)."""
    path = po_path("cy")
    return _read(path, path.stat().st_mtime) if path.exists() else {}


@cache
def _plural_index() -> object:
    return _gettext.c2py(get_plural("cy").plural_expr)


def _welsh(msgid: str, plural: str | None = None, n: int = 1) -> str:
    entry = welsh_entries().get(msgid)
    if entry is None or not any(entry.cy):
        # Missing Welsh shows the English (never nothing); the parity gate blocks its release.
        return msgid if plural is None or n == 1 else plural
    if plural is None:
        return entry.cy[0]
    index = _plural_index()(n)  # type: ignore[operator]
    return entry.cy[min(index, len(entry.cy) - 1)] or entry.cy[-1]


def gettext(msgid: str, lang: str | None = None) -> str:
    """`msgid` in `lang` (default: the chosen language)."""
    return _welsh(msgid) if (lang or language()) == "cy" else msgid


_ = gettext


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    """The form of a counted sentence for `n` (Welsh has six plural forms)."""
    if (lang or language()) == "cy":
        return _welsh(singular, plural, n)
    return singular if n == 1 else plural


def N_(msgid: str) -> str:  # noqa: N802 - gettext's name for "extract, do not translate yet"
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return msgid


def both(msgid: str, **values: object) -> tuple[str, str]:
    """(English, Welsh) of a catalogue string, each formatted with `values`: for `_en`/`_cy` pairs."""
    return msgid.format(**values), _welsh(msgid).format(**values)


def status(msgid: str) -> Status:
    """Whether the Welsh of `msgid` is reviewed, unreviewed (`fuzzy`) or missing."""
    entry = welsh_entries().get(msgid)
    if entry is None or not all(entry.cy):
        return "missing"
    return "unreviewed" if entry.fuzzy else "reviewed"


def placeholders(text: str) -> set[str]:
    """`{count}`-style names in a string; `{title_cy}` counts as its English `{title_en}`."""
    return {name[:-3] + "_en" if name.endswith("_cy") else name for name in PLACEHOLDER.findall(text)}
