"""Recognise what a dropped file really is from its bytes (never its extension), or say why not.

`sniff()` answers with a kind the reader understands (`xlsx`, `xls`, `html`, `csv`) or a
human-readable reason to quarantine the file: empty, too large, damaged zip, zip bomb,
password-protected workbook, or binary noise.
"""

from __future__ import annotations

import codecs
import zipfile
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from govdw.types import Limits

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Stream names of an Office-encrypted (agile/standard encryption) OLE2 container, as they
# appear in the OLE directory (UTF-16LE).
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_SAMPLE_BYTES = 1 << 20  # enough text to judge the encoding and the delimiter
_DELIMITERS = (",", "\t", ";", "|")
_ZIP_BOMB_RATIO = 200
_ZIP_BOMB_MIN_MEMBER = 10 * 2**20
_ENCRYPTED_HINT = (
    "password-protected workbook (encrypted): save it without a password and drop it again"
)


@dataclass
class Sniffed:
    """What a file is: `kind` (xlsx/xls/html/csv) and text `encoding`, or the `problem` with it."""

    kind: str | None
    encoding: str | None = None
    problem: str | None = None
    delimiter: str | None = None


def _mib(n: int) -> str:
    """A byte count as a person reads it (MiB for anything big, else KiB or bytes)."""
    if n >= 2**20:
        return f"{n / 2**20:,.0f} MiB"
    if n >= 1024:
        return f"{n / 1024:,.0f} KiB"
    return f"{n} bytes"


def sniff(path: Path, limits: Limits | None = None) -> Sniffed:
    """Classify `path` by content; a quarantine reason goes in `problem` (kind is then None)."""
    if limits is None:
        limits = Limits()
    size = path.stat().st_size
    if size == 0:
        return Sniffed(None, problem="the file is empty (0 bytes)")
    if size > limits.max_file_bytes:
        return Sniffed(
            None,
            problem=(
                f"the file is {_mib(size)}, larger than the {_mib(limits.max_file_bytes)} limit: "
                "split the export into smaller files"
            ),
        )
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
    if head.startswith(_ZIP_MAGICS):
        return _sniff_zip(path, limits)
    if head.startswith(_OLE2_MAGIC):
        return _sniff_ole2(path)
    return _sniff_text(head, complete=size <= len(head))


def _sniff_zip(path: Path, limits: Limits) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return Sniffed(
            None, problem="the xlsx is damaged or truncated (zip central directory missing)"
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        return Sniffed(
            None,
            problem=(
                f"the workbook would unpack to {_mib(total)}, more than the "
                f"{_mib(limits.max_uncompressed_bytes)} limit (zip bomb?)"
            ),
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _ZIP_BOMB_MIN_MEMBER and ratio > _ZIP_BOMB_RATIO:
            return Sniffed(
                None,
                problem=(
                    f"the workbook member {info.filename} compresses {ratio:,.0f}:1 "
                    f"(unpacks to {_mib(info.file_size)}): refusing a likely zip bomb"
                ),
            )
    names = {info.filename for info in infos}
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return Sniffed("xlsx")
    return Sniffed(
        None,
        problem="a zip archive that is not an Excel workbook (no xl/workbook.xml): export as .xlsx",
    )


def _sniff_ole2(path: Path) -> Sniffed:
    # The OLE directory is small but may sit anywhere in the file; scanning the bytes for the
    # UTF-16 stream names is cheap for legacy .xls sizes and needs no OLE parser.
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            window = tail + chunk
            if any(name in window for name in _ENCRYPTED_STREAMS):
                return Sniffed(None, problem=_ENCRYPTED_HINT)
            tail = window[-64:]
    return Sniffed("xls")


def _sniff_text(head: bytes, *, complete: bool) -> Sniffed:
    encoding, text = _decode_sample(head, complete=complete)
    if encoding is None or text is None:
        return Sniffed(None, problem="binary data that is neither a workbook nor readable text")
    if _looks_binary(text):
        return Sniffed(
            None, problem="binary data that is neither a workbook nor readable text (control bytes)"
        )
    start = text.lstrip("\ufeff \t\r\n")[:512].lower()
    if start.startswith(("<html", "<!doctype html", "<table", "<meta", "<head", "<body")) or (
        start.startswith("<") and ("<table" in text[:65536].lower())
    ):
        return Sniffed("html", encoding=encoding)
    if start.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in text[:4096]:
        return Sniffed(
            None,
            problem="an Excel 2003 XML spreadsheet, which is not supported: save it as .xlsx",
        )
    return Sniffed("csv", encoding=encoding, delimiter=sniff_delimiter(text))


def _decode_sample(head: bytes, *, complete: bool) -> tuple[str | None, str | None]:
    """Try UTF-8 (BOM or not), then GB18030, then charset-normalizer's best guess."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            # final=complete: a sample cut mid-character must not count as a decoding error.
            return ("utf-8-sig" if encoding == "utf-8-sig" else encoding), decoder.decode(
                head, final=complete
            )
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(head).best()
    if best is None:
        return None, None
    return best.encoding, str(best)


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    return controls / len(sample) > 0.01 or "\x00" in sample


def sniff_delimiter(text: str) -> str:
    """The delimiter (comma, tab, semicolon or '|') splitting the sample's lines most evenly."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_score = ",", -1.0
    for delim in _DELIMITERS:
        counts = [line.count(delim) for line in lines]
        hits = [c for c in counts if c > 0]
        if not hits:
            continue
        # Prefer a delimiter present on many lines with a stable count (the table body),
        # tolerating title/footer lines that have none.
        modal = max(set(hits), key=hits.count)
        score = hits.count(modal) * 1000 + modal
        if score > best_score:
            best, best_score = delim, score
    return best
