"""Regions: GB/T 2260 codes from `vocab/regions.csv`, and the region a raw folder names.

A folder names a region by 6-digit code ('640522'), code and name ('653024-乌恰县',
'653024乌恰县', '653024_乌恰县') or name alone in either script ('岳陽樓區'). A name shared by
several regions ('鼓楼区') only resolves with its parents ('南京市鼓楼区') or the code: the
pipeline quarantines what it cannot place rather than guess.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources

import pyarrow as pa

from govdw.text import normalize_header, normalize_text

_CODE_AND_NAME = re.compile(r"^([0-9]{6})[ _\-.]*(.*)$", re.ASCII)
#: Names that never identify a region on their own (市辖区 'city districts' appears ~30 times).
_PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass(frozen=True)
class Region:
    """One GB/T 2260 region."""

    code: str
    name: str
    parent_code: str | None
    level: str


@functools.cache
def _regions() -> dict[str, Region]:
    text = resources.files("govdw").joinpath("vocab/regions.csv").read_text(encoding="utf-8")
    out: dict[str, Region] = {}
    for row in csv.DictReader(text.splitlines()):
        code = row["region_code"].strip()
        out[code] = Region(
            code=code,
            name=row["region_name"].strip(),
            parent_code=(row["parent_code"] or "").strip() or None,
            level=row["level"].strip(),
        )
    return out


def _key(name: str) -> str:
    """Lookup form of a name: normalised, simplified, no spaces or brackets."""
    return normalize_header(name)


@functools.cache
def _by_name() -> dict[str, tuple[str, ...]]:
    """Normalised name -> codes, for the bare name and its names prefixed by ancestors."""
    regions = _regions()
    index: dict[str, list[str]] = {}

    def add(key: str, code: str) -> None:
        codes = index.setdefault(key, [])
        if code not in codes:
            codes.append(code)

    for region in regions.values():
        if region.name in _PLACEHOLDER_NAMES:
            continue
        add(_key(region.name), region.code)
        # '南京市鼓楼区', '江苏省南京市鼓楼区': ancestors disambiguate a shared name.
        prefix = ""
        parent = regions.get(region.parent_code or "")
        while parent is not None:
            if parent.name not in _PLACEHOLDER_NAMES:
                prefix = parent.name + prefix
                add(_key(prefix + region.name), region.code)
            parent = regions.get(parent.parent_code or "")
    return {k: tuple(sorted(v)) for k, v in index.items()}


def region_name(code: str) -> str | None:
    """The region's name for a 6-digit code, or None when the code is unknown."""
    region = _regions().get(code)
    return region.name if region else None


def region_table() -> pa.Table:
    """Every region: region_code, region_name, parent_code, level (all strings)."""
    regions = list(_regions().values())
    return pa.table(
        {
            "region_code": pa.array([r.code for r in regions], pa.string()),
            "region_name": pa.array([r.name for r in regions], pa.string()),
            "parent_code": pa.array([r.parent_code for r in regions], pa.string()),
            "level": pa.array([r.level for r in regions], pa.string()),
        }
    )


def _name_fits(code: str, name: str) -> bool:
    """Does the name part of '653024-乌恰县' agree with the code? Short forms ('乌恰') count."""
    key = _key(name)
    if code in _by_name().get(key, ()):
        return True
    full = _key(region_name(code) or "")
    return len(key) >= 2 and full.startswith(key)


def _resolve(folder_name: str) -> tuple[str | None, str]:
    """(code or None, a sentence saying why)."""
    text = normalize_text(folder_name) or ""
    shown = f"folder {folder_name!r}"
    m = _CODE_AND_NAME.match(text)
    if m:
        code, name = m.group(1), m.group(2).strip()
        known = region_name(code)
        if known is None:
            return None, f"{shown}: {code} is not a GB/T 2260 region code"
        if name and not _name_fits(code, name):
            return None, (
                f"{shown}: code {code} is {known}, but the name says {name!r}; "
                "fix the folder name so code and name agree"
            )
        return code, f"{shown} is region {code} ({known})"
    if not text:
        return None, f"{shown} names no region"
    codes = _by_name().get(_key(text), ())
    if len(codes) == 1:
        return codes[0], f"{shown} is region {codes[0]} ({region_name(codes[0])})"
    if len(codes) > 1:
        listed = ", ".join(f"{c} {_full_name(c)}" for c in codes)
        return None, (
            f"{shown} names {len(codes)} regions: {listed}; use the 6-digit code "
            f"(e.g. {codes[0]}-{region_name(codes[0])})"
        )
    return None, (
        f"{shown} is not a known region name or code; name the folder by its 6-digit "
        "GB/T 2260 code (e.g. 653024 or 653024-乌恰县)"
    )


def _full_name(code: str) -> str:
    """'江苏省南京市鼓楼区': the name with its ancestors, for messages."""
    regions = _regions()
    parts: list[str] = []
    region = regions.get(code)
    while region is not None:
        if region.name not in _PLACEHOLDER_NAMES:
            parts.append(region.name)
        region = regions.get(region.parent_code or "")
    return "".join(reversed(parts))


def resolve_region(folder_name: str) -> str | None:
    """The 6-digit region code a raw folder names, or None (see :func:`explain_region`)."""
    return _resolve(folder_name)[0]


def explain_region(folder_name: str) -> str:
    """A sentence saying which region a folder names, or why it names none."""
    return _resolve(folder_name)[1]


_CODE_IN_TEXT = re.compile(r"(?<![0-9])([1-9][0-9]{5})(?![0-9])")


def region_in_text(text: str) -> str | None:
    """The region a file or folder name mentions (乌恰县2023年4月工单.xlsx -> 653024), or None.

    A 6-digit GB/T 2260 code wins; else the longest region name in the text that names exactly
    one region (names shared by several regions are skipped, never guessed).
    """
    plain = normalize_text(text) or ""
    for code in _CODE_IN_TEXT.findall(plain):
        if region_name(code) is not None:
            return code
    key = _key(plain)
    best: tuple[int, str] | None = None
    for name, codes in _by_name().items():
        fits = len(codes) == 1 and len(name) >= 2 and name in key
        if fits and (best is None or len(name) > best[0]):
            best = (len(name), codes[0])
    return best[1] if best else None
