"""Is the Welsh catalogue complete? `python -m sources.i18n_check` (the last step of `make i18n`).

Every msgid of `sources/locale/messages.pot` (what the code and templates say) needs a Welsh
msgstr in `sources/locale/cy/LC_MESSAGES/messages.po` with the same `{placeholders}`. Unreviewed
(`fuzzy`) Welsh is counted, not refused. Exit 1, naming each msgid, when anything is missing.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

from sources.i18n import LOCALE_DIR, placeholders, po_path

TEMPLATE = LOCALE_DIR / "messages.pot"


@dataclass
class CatalogueCheck:
    """What the Welsh catalogue lacks against the template, and how much of it is unreviewed."""

    msgids: int = 0
    missing: list[str] = field(default_factory=list)
    placeholders_differ: list[str] = field(default_factory=list)
    unreviewed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.placeholders_differ)

    def lines(self) -> list[str]:
        out = [f"Welsh msgid missing or empty: {m!r}" for m in self.missing]
        out += [f"Welsh placeholders differ from the English: {m!r}" for m in self.placeholders_differ]
        out.append(f"{self.msgids} msgids: {len(self.missing)} without Welsh, "
                   f"{len(self.placeholders_differ)} with placeholders that differ, "
                   f"{len(self.unreviewed)} Welsh unreviewed (fuzzy)")
        return out


def _read(path: Path):  # noqa: ANN202 - babel's Catalog
    with path.open("rb") as handle:
        return read_po(handle, locale="cy" if path.suffix == ".po" else None)


def check_catalogue(template: Path = TEMPLATE, welsh: Path | None = None) -> CatalogueCheck:
    """Compare the Welsh catalogue with the extracted template, msgid by msgid."""
    welsh = welsh or po_path("cy")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in _read(welsh) if m.id}
    result = CatalogueCheck()
    for message in _read(template):
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        result.msgids += 1
        found = translated.get(ids[0])
        forms = () if found is None else (
            (found.string,) if isinstance(found.string, str) else tuple(found.string))
        if not forms or not all(forms):
            result.missing.append(ids[0])
            continue
        wanted = set().union(*(placeholders(i) for i in ids))
        if any(placeholders(f) != wanted for f in forms if len(ids) == 1) or (
                len(ids) > 1 and set().union(*(placeholders(f) for f in forms)) != wanted):
            result.placeholders_differ.append(ids[0])
        if found.fuzzy:
            result.unreviewed.append(ids[0])
    return result


def main() -> int:
    result = check_catalogue()
    for line in result.lines():
        print(line)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
