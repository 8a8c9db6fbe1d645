"""Loader for `vocab/synonyms.toml`: header synonyms, metric labels and label maps, normalised once.

Every synonym is passed through :func:`govdw.text.normalize_header` here, so callers match a
normalised header by plain dictionary lookup.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from importlib import resources
from typing import Any

from govdw import datasets, settings
from govdw.text import normalize_header, normalize_text

#: Label kind -> section under [labels] in synonyms.toml.
_LABEL_SECTIONS = {
    "appeal_type": "appeal_type",
    "hotline_status": "hotline_status",
    "case_status": "case_status",
    "rating_label": "rating",
    "rating": "rating",
}


class VocabError(ValueError):
    """synonyms.toml contradicts itself (one form mapped to two canonical values)."""


@functools.cache
def shipped() -> dict[str, Any]:
    """The parsed synonyms.toml shipped with govdw, as written."""
    text = resources.files("govdw").joinpath("vocab/synonyms.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@functools.cache
def user() -> dict[str, Any]:
    """The user vocabulary file (settings.user_vocab_path), parsed and checked; {} if absent."""
    path = settings.user_vocab_path()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise VocabError(f"{path}: not a valid TOML vocabulary file: {exc}") from exc
    known = {*shipped(), *(ds.table for ds in datasets.all_datasets()), "header_parts"}
    for section in data:
        if section not in known:
            raise VocabError(
                f"{path}: unknown section [{section}]; expected one of {', '.join(sorted(known))}"
            )
    return data


def _merge_forms(base: dict[str, Any], extra: dict[str, Any], where: str) -> dict[str, Any]:
    """{canonical: [forms]} of `base` with `extra`'s forms added; a form moved wins over base."""
    out = {k: list(v) for k, v in base.items()}
    for canonical, forms in extra.items():
        if not isinstance(forms, list) or not all(isinstance(f, str) for f in forms):
            raise VocabError(f"{where}.{canonical} must be a list of strings")
        keys = {_norm(f) for f in forms}
        for other, other_forms in out.items():
            if other != canonical:
                out[other] = [f for f in other_forms if _norm(f) not in keys]
        out[canonical] = [*out.get(canonical, []), *forms]
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any], where: str) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        here = f"{where}.{key}" if where else key
        current = out.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            lists = all(isinstance(v, list) for v in value.values())
            maps_forms = lists and key not in ("names", "prefixes", "values")
            is_leaf = maps_forms and all(isinstance(v, list) for v in current.values())
            out[key] = (
                _merge_forms(current, value, here) if is_leaf else _merge(current, value, here)
            )
        elif isinstance(value, list) and isinstance(current, list):
            out[key] = [*current, *value]
        else:
            raise VocabError(f"{settings.user_vocab_path()}: [{here}] does not fit the vocabulary")
    return out


@functools.cache
def raw() -> dict[str, Any]:
    """The vocabulary in force: synonyms.toml with the user vocabulary's entries merged in."""
    extra = {k: v for k, v in user().items() if k != "header_parts"}
    # A registered dataset the shipped file does not know yet starts with an empty section.
    base = {ds.table: {"columns": {}} for ds in datasets.all_datasets()} | shipped()
    return _merge(base, extra, "")


def user_header_parts() -> dict[str, Any]:
    """The user vocabulary's additions to header_parts.toml (its [header_parts.*] tables)."""
    parts = user().get("header_parts", {})
    return parts if isinstance(parts, dict) else {}


def user_vocab_digest() -> str:
    """sha256 of the user vocabulary file's bytes ('' when there is none): part of the parser
    version, so editing the file re-parses the files it may change."""
    path = settings.user_vocab_path()
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def _norm(s: str) -> str:
    return normalize_header(s)


def _invert(mapping: dict[str, list[str]], what: str) -> dict[str, str]:
    """{canonical: [forms]} -> {normalised form: canonical}; a form claimed twice is a vocab bug."""
    out: dict[str, str] = {}
    for canonical, forms in mapping.items():
        for form in [canonical, *forms]:
            key = _norm(form)
            if not key:
                continue
            if out.get(key, canonical) != canonical:
                raise VocabError(
                    f"synonyms.toml: {what} form {form!r} maps to both "
                    f"{out[key]!r} and {canonical!r}"
                )
            out[key] = canonical
    return out


@functools.cache
def _columns(section: str) -> dict[str, list[str]]:
    table = raw()[section]["columns"]
    result: dict[str, list[str]] = {}
    for canonical, forms in table.items():
        seen: list[str] = []
        for form in forms:
            key = _norm(form)
            if key and key not in seen:
                seen.append(key)
        result[canonical] = seen
    return result


def columns(dataset: str) -> dict[str, list[str]]:
    """Canonical column -> normalised header synonyms for a detail dataset.

    ``dataset`` is a landing table name (``hotline_orders``) or dataset name (``hotline``); its
    section of the vocabulary is named after its landing table (`govdw.datasets`).
    """
    return {k: list(v) for k, v in _columns(datasets.get(dataset).table).items()}


@functools.cache
def _summary_metrics() -> dict[str, str]:
    return _invert(raw()["summary"]["metrics"], "metric")


def summary_metrics() -> dict[str, str]:
    """Normalised summary-table header -> metric code (docs/contract.md §5)."""
    return dict(_summary_metrics())


@functools.cache
def _labels(section: str) -> dict[str, str]:
    mapping = raw()["labels"][section]
    if section == "rating":
        # Keys are ratings '5'..'1'; the canonical label is the rating's name (非常满意 …).
        mapping = {datasets.RATING_LABELS[int(k)]: v for k, v in mapping.items()}
    return _invert(mapping, f"labels.{section}")


def labels(kind: str) -> dict[str, str]:
    """Normalised form -> canonical value for a label kind (appeal_type, hotline_status, …)."""
    try:
        section = _LABEL_SECTIONS[kind]
    except KeyError:
        raise KeyError(
            f"no label map for {kind!r}; expected one of {', '.join(sorted(_LABEL_SECTIONS))}"
        ) from None
    return dict(_labels(section))


@functools.cache
def _word_list(section: str, key: str, header_form: bool) -> tuple[str, ...]:
    node = raw()
    for part in section.split("."):
        node = node[part]
    out: list[str] = []
    for word in node[key]:
        norm = _norm(word) if header_form else normalize_text(word, convert_script=False)
        if norm and norm not in out:
            out.append(norm)
    return tuple(out)


def totals_words() -> tuple[str, ...]:
    """Words that mark a totals row or column (合计, 总计, 小计 …), normalised."""
    return _word_list("labels.totals", "names", True)


def footnote_prefixes() -> tuple[str, ...]:
    """Prefixes of footnote lines (备注, 注:, 数据来源 …): normalize_text form, punctuation kept."""
    return _word_list("labels.footnotes", "prefixes", False)


def empty_markers() -> tuple[str, ...]:
    """Cell texts that mean 'no value' (-, —, /, 无, N/A …): normalize_text form."""
    return _word_list("labels.empty", "values", False)


def subject_headers() -> tuple[str, ...]:
    """Headers of a summary table's subject column (单位, 层级, 分类 …), normalised."""
    return _word_list("summary.subject_headers", "names", True)


def ignore_headers() -> tuple[str, ...]:
    """Summary-table headers that carry no metric (序号, 排名, 备注, 占比), normalised."""
    return _word_list("summary.ignore_headers", "names", True)
