"""Keeping untrusted files harmless: safe names, contained paths, and XLSX checks before opening.

A file name is never used as a path: only a sanitised base name is kept (the name as sent is
recorded apart, for people to read). Every path the intake writes is checked to resolve inside
its folder. An XLSX is a zip: its declared sizes, compression ratios, member count and macros
are checked with `zipfile` before openpyxl sees it, and every XML part is parsed through to its
end with `defusedxml`, which refuses any DTD or entity wherever it is (after a long comment, in
UTF-16, in a part with an odd name). openpyxl itself parses with `defusedxml` too, since it is
installed.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from sources.returns.config import ReturnsConfig
from sources.returns.problems import Problem, make

ACCEPTED_TYPES = ("csv", "xlsx")
MACRO_TYPES = ("xlsm", "xltm", "xlam", "xlsb")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_UNSAFE_LETTERS = re.compile(r"[^\w.-]+")  # \w: letters and digits of any alphabet, and _
_MAX_NAME = 120
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# How an XML part may begin: a UTF-8 or UTF-16 byte order mark, or "<" in UTF-8 or UTF-16.
_XML_STARTS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"<", b"\x00<")
_CHUNK = 1 << 16


class UnsafePathError(ValueError):
    """A path would resolve outside the folder it must stay in."""


def _base(name: str) -> str:
    """The last component of a name, compatibility-normalised (so a full-width slash splits too)."""
    return re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1].replace("\x00", "")


def _ascii(text: str) -> str:
    """Latin letters without their accents (ŵ → w, Ô → O); letters of other alphabets drop out."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _clip(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, cut between characters."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def safe_name(name: str, fallback: str = "return", *, ascii_only: bool = True) -> str:
    """A base name safe to use in any folder: no separators, no leading dots, bounded length.

    Stem and extension are cleaned apart, so the extension (and with it the file type) survives a
    stem that is all accents or another alphabet: `Ôô.csv` → `Oo.csv`, `данные.csv` →
    `return.csv`. With `ascii_only=False` letters of any alphabet are kept (`Ôô.csv`), for names
    a person reads, such as those in the intake folder.
    """
    base = _base(name)
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    unsafe = _UNSAFE if ascii_only else _UNSAFE_LETTERS
    if ascii_only:
        stem, ext = _ascii(stem), _ascii(ext)
    stem, ext = unsafe.sub("_", stem).lstrip("._-"), unsafe.sub("_", ext).strip("._-")[:10]
    if not ext:
        return _clip(stem.rstrip("._-"), _MAX_NAME) or fallback
    return f"{_clip(stem, _MAX_NAME - len(ext) - 1) or fallback}.{ext}"


def original_name(name: str) -> str | None:
    """A file's name as the council gave it, for the record and the report, never for a path.

    Only the base name is kept, without control, format (such as right-to-left overrides) or
    undecodable characters; None when nothing is left.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    kept = "".join(c for c in base if not unicodedata.category(c).startswith("C"))
    return kept[:255] or None


def extension(name: str) -> str:
    """The lower-case extension of a safe name, or `bin` when it has none worth keeping."""
    _, dot, ext = name.rpartition(".")
    ext = ext.lower()
    return ext if dot and ext.isalnum() and len(ext) <= 5 else "bin"


def inside(base: Path, path: Path) -> Path:
    """`path` resolved, refusing anything that escapes `base` (via `..` or symlinks)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise UnsafePathError(f"{path} resolves outside {base}")
    return resolved


def check_type(name: str, file: str) -> list[Problem]:
    """Refuse anything but CSV and XLSX, naming macro-enabled workbooks for what they are."""
    ext = extension(name)
    if ext in MACRO_TYPES:
        return [make("macros_not_accepted", file, value=ext)]
    if ext not in ACCEPTED_TYPES:
        return [make("unsupported_file_type", file, value=ext)]
    return []


def check_size(size: int, file: str, config: ReturnsConfig) -> list[Problem]:
    """Refuse a file larger than the configured limit."""
    if size > config.max_bytes:
        return [make("file_too_large", file, value=size, limit=config.max_bytes)]
    return []


def check_workbook_zip(path: Path, file: str, config: ReturnsConfig) -> list[Problem]:
    """Inspect an XLSX container without decompressing more than a few bytes per part."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            problems = _zip_limits(members, file, config)
            if problems:
                return problems
            if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
                return [make("macros_not_accepted", file, value="vbaProject.bin")]
            for member in members:
                problem = _xml_problem(archive, member, file)
                if problem:
                    return [problem]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        return [make("unreadable_file.not_xlsx", file, value=f"{type(exc).__name__}: {exc}")]
    return []


def _zip_limits(members: list[zipfile.ZipInfo], file: str, config: ReturnsConfig) -> list[Problem]:
    if len(members) > config.max_zip_members:
        return [make("xlsx_decompression_limit.members", file, value=len(members),
                     limit=config.max_zip_members)]
    total = sum(m.file_size for m in members)
    if total > config.max_unzipped_bytes:
        return [make("xlsx_decompression_limit", file, value=total, limit=config.max_unzipped_bytes)]
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > config.max_ratio and member.file_size > 1024:
            return [make("xlsx_decompression_limit.ratio", file, value=member.filename,
                         ratio=round(ratio), limit=round(config.max_ratio))]
    return []


def _is_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """An XML part by its name, or by how it begins whatever its name (openpyxl follows any name)."""
    if member.filename.lower().endswith(_XML_SUFFIXES):
        return True
    with archive.open(member) as handle:
        head = handle.read(4).lstrip(b" \t\r\n")
    return head.startswith(_XML_STARTS)


class _Discard:
    """A parser target that keeps nothing: the part is parsed to be checked, not read."""

    def close(self) -> None:
        return None


def _xml_problem(archive: zipfile.ZipFile, member: zipfile.ZipInfo, file: str) -> Problem | None:
    """Parse one part through to its end, streamed; any DTD, entity or malformed XML is a problem."""
    if member.is_dir() or not _is_xml(archive, member):
        return None
    parser = DefusedXMLParser(target=_Discard(), forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(_CHUNK):
                parser.feed(chunk)
        parser.close()
    except DefusedXmlException:
        return make("unreadable_file.doctype", file, value=member.filename)
    except ParseError:
        return make("unreadable_file.bad_xml", file, value=member.filename)
    return None
