"""Column roles from what a header means, not from a closed list of header strings.

A header is read as ``[subject] [event] attribute [(unit)]``: 留言|时间, 受理|日期, 工单|编号,
答复|意见, 办件量（万件）. The parts come from `vocab/header_parts.toml`. The role of a column
follows from its event and attribute (each dataset's `role_rules` in `govdw.datasets`), so
留言时间, 受理日期, 来电时间 and 登记时间 are all ``received_at`` and 结案日期, 办结时间, 答复时间
all ``closed_at``, none of them listed.

The values then confirm or overrule what the header suggests (:func:`value_evidence`,
:func:`decide`): a time column must hold dates, a type column whose values are the canonical appeal
types is ``appeal_type``, a 是/否 column asking 是否办结 is a closed flag, unique code-like values
are an id, long free text is content. Every decision carries a score in [0, 1] and its evidence.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from govdw import datasets, vocab
from govdw.text import normalize_header, normalize_text
from govdw.values import parse_datetime_array

#: Roles a header may get that no landing column stores: recognised (so the column is not called
#: unknown) and deliberately left out of the facts.
NOT_LANDED = frozenset({"reply_content", "title", "region", "count", "rate", "ignored"})

#: Roles that hold a date and time (their values must parse as dates).
TIME_ROLES = frozenset(
    {
        "received_at",
        "dispatched_at",
        "accepted_at",
        "due_at",
        "closed_at",
        "completed_at",
        "evaluated_at",
    }
)

_UNIT_RE = re.compile(r"[（(]\s*([^（）()]{1,6})\s*[）)]\s*$")


@dataclass(frozen=True)
class HeaderParts:
    """A header split into what it is about, what happened, which attribute, and its unit."""

    key: str  # the normalised header
    subject: str | None = None  # request | case | evaluation
    event: str | None = None  # received | dispatched | accepted | due | closed | evaluated
    attribute: str | None = None  # time | id | content | … (header_parts.toml [attributes])
    flag: bool = False  # 是否X: a yes/no question
    unit: str | None = None  # 件 | 万件 | % | 个 | 天 …
    words: tuple[str, ...] = ()  # the lexicon words found, in header order

    def describe(self) -> str:
        """`subject=request event=received attribute=time` for evidence lists."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("subject", self.subject),
                ("event", self.event),
                ("attribute", self.attribute),
                ("unit", self.unit),
            )
            if value
        ]
        if self.flag:
            parts.append("yes/no question")
        return " ".join(parts) or "no known part"


@dataclass
class RoleGuess:
    """A column's role with its score and the evidence for it."""

    role: str | None
    score: float
    evidence: list[str] = field(default_factory=list)


@functools.cache
def lexicon() -> dict[str, Any]:
    """header_parts.toml with the user vocabulary's [header_parts.*] words added."""
    text = resources.files("govdw").joinpath("vocab/header_parts.toml").read_text("utf-8")
    data = tomllib.loads(text)
    for section, kinds in vocab.user_header_parts().items():
        if section not in data or not isinstance(kinds, dict):
            raise vocab.VocabError(
                f"user vocabulary: unknown section [header_parts.{section}]; expected one of "
                + ", ".join(f"header_parts.{s}" for s in data)
            )
        for kind, words in kinds.items():
            if section == "units":
                data[section].setdefault("scale", {}).update(words if kind == "scale" else {})
                continue
            current = data[section].setdefault(kind, [])
            data[section][kind] = [*current, *words]
    return data


@functools.cache
def _words(section: str) -> tuple[tuple[str, str], ...]:
    """(normalised word, kind) of a lexicon section, longest first."""
    pairs: list[tuple[str, str]] = []
    for kind, words in lexicon()[section].items():
        for word in words:
            key = normalize_header(word).lower()
            if key:
                pairs.append((key, kind))
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def _find(text: str, section: str) -> list[tuple[int, str, str]]:
    """Non-overlapping (position, word, kind) matches of a section's words, longest first."""
    taken = [False] * len(text)
    found: list[tuple[int, str, str]] = []
    for word, kind in _words(section):
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                found.append((start, word, kind))
            start = text.find(word, end)
    return sorted(found)


@functools.cache
def split_header(header: str) -> HeaderParts:
    """The parts of one header as written (brackets and all)."""
    unit = None
    match = _UNIT_RE.search(header or "")
    stem = header or ""
    if match and match.group(1).strip() in lexicon()["units"]["scale"]:
        unit = match.group(1).strip()
        stem = stem[: match.start()]
    key = normalize_header(stem)
    text = key.lower()
    flag = any(text.startswith(normalize_header(p)) for p in lexicon()["flags"]["prefixes"])
    subjects = _find(text, "subjects")
    events = _find(text, "events")
    attributes = _find(text, "attributes")
    # The attribute kind: the most specific kind present (section order), not the last word.
    order = list(lexicon()["attributes"])
    attribute = min((kind for _, _, kind in attributes), key=order.index, default=None)
    event = events[0][2] if events else None
    # An event word that is also the attribute's own word (评价 in 评价结果) is no event.
    if (
        attribute
        and events
        and all(any(p <= e_pos < p + len(w) for p, w, _ in attributes) for e_pos, _, _ in events)
    ):
        event = None
    subject = subjects[0][2] if subjects else None
    words = tuple(w for _, w, _ in sorted(subjects + events + attributes))
    return HeaderParts(key, subject, event, attribute, flag, unit, words)


def _rule_role(parts: HeaderParts, dataset: str) -> str | None:
    attribute = "flag" if parts.flag else (parts.attribute or "")
    for event, attr, role in datasets.get(dataset).role_rules:
        if attr != attribute:
            continue
        if event == "*" or event == parts.event:
            return role
    return None


def header_role(header: str, dataset: str) -> RoleGuess:
    """The role a header suggests for `dataset`, from its parts alone (no values)."""
    parts = split_header(header)
    role = _rule_role(parts, dataset)
    if role is None:
        return RoleGuess(None, 0.0, [f"header parts: {parts.describe()}"])
    # Event and attribute both seen: strong. Attribute alone: fair. A bare time: weakest.
    if parts.event and (parts.attribute or parts.flag):
        score = 0.85
    elif parts.attribute in ("time", "id") and not parts.event:
        score = 0.55
    else:
        score = 0.7
    named = datasets.by_subject(parts.subject) if parts.subject else None
    if named is not None and named.name == dataset:
        score = min(1.0, score + 0.05)
    return RoleGuess(role, score, [f"header parts: {parts.describe()}"])


def implied_channel(headers: Sequence[str]) -> str | None:
    """The channel a table's headers name by their subject (留言* -> 网上留言), if one is named."""
    words_of = {
        normalize_header(w): channel
        for channel, words in lexicon().get("channels", {}).items()
        for w in words
    }
    votes: dict[str, int] = {}
    for header in headers:
        for word in split_header(header).words:
            channel = words_of.get(word)
            if channel:
                votes[channel] = votes.get(channel, 0) + 1
    return max(votes, key=lambda c: votes[c]) if votes else None


def subject_votes(headers: Sequence[str]) -> dict[str, int]:
    """How many headers name each dataset's records (留言编号 -> hotline, 办件编号 -> service)."""
    votes: dict[str, int] = {}
    for header in headers:
        subject = split_header(header).subject
        named = datasets.by_subject(subject) if subject else None
        if named is not None:
            votes[named.name] = votes.get(named.name, 0) + 1
    return votes


# ----------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class ValueEvidence:
    """What a column's values look like (over its non-empty cells, up to a sample)."""

    n: int  # non-empty values looked at
    date_share: float
    appeal_share: float
    status_share: float
    rating_share: float
    yes_no_share: float
    unique_share: float
    code_like_share: float
    mean_length: float

    def describe(self) -> list[str]:
        """Evidence lines for the shares that say something."""
        lines = [f"{self.n} values looked at"]
        for name, share in (
            ("parse as dates", self.date_share),
            ("are appeal types (求助/投诉/咨询…)", self.appeal_share),
            ("are statuses", self.status_share),
            ("are ratings (满意…)", self.rating_share),
            ("are 是/否", self.yes_no_share),
            ("are distinct", self.unique_share),
            ("look like codes", self.code_like_share),
        ):
            if share >= 0.3:
                lines.append(f"{share:.0%} {name}")
        if self.mean_length >= 20:
            lines.append(f"free text, {self.mean_length:.0f} characters on average")
        return lines


#: Non-empty values looked at per column (from the first rows of the table).
VALUE_SAMPLE = 500

YES = frozenset({"是", "已", "yes", "y", "true", "1", "√", "✓"})
NO = frozenset({"否", "未", "no", "n", "false", "0", "×", "✗"})
_BARE_NUMBER = r"^(?:[0-9]{1,7}|[0-9]{9,})$"
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-/.]{2,39}$")


def value_evidence(values: Sequence[str | None], sample: int = VALUE_SAMPLE) -> ValueEvidence:
    """Shares of a column's non-empty values that look like dates, labels, flags, codes, text."""
    seen = [v for v in (normalize_text(x) for x in values[: sample * 4]) if v][:sample]
    n = len(seen)
    if n == 0:
        return ValueEvidence(0, 0, 0, 0, 0, 0, 0, 0, 0)
    texts = pa.array(seen, pa.string())
    parsed, _problems = parse_datetime_array(texts)
    # A bare number reads as an Excel date serial too (37042 -> 2001-05-31): as evidence of a
    # date column it counts only as 20230401 or with a fraction (a date-time serial).
    bare = pc.match_substring_regex(texts, _BARE_NUMBER)
    dates = pc.sum(pc.and_(pc.is_valid(parsed), pc.invert(bare))).as_py() or 0
    folded = [v.lower() for v in seen]

    def share(mapping: dict[str, str]) -> float:
        return sum(1 for v in seen if normalize_header(v) in mapping) / n

    return ValueEvidence(
        n=n,
        date_share=dates / n,
        appeal_share=share(vocab.labels("appeal_type")),
        status_share=max(share(vocab.labels("hotline_status")), share(vocab.labels("case_status"))),
        rating_share=share(vocab.labels("rating_label")),
        yes_no_share=sum(1 for v in folded if v in YES or v in NO) / n,
        unique_share=len(set(seen)) / n,
        code_like_share=sum(1 for v in seen if _CODE_RE.match(v)) / n,
        mean_length=sum(len(v) for v in seen) / n,
    )


def decide(guess: RoleGuess, ev: ValueEvidence, dataset: str) -> RoleGuess:
    """Confirm, overrule or propose a role from the values; the score and evidence follow."""
    evidence = [*guess.evidence, *(f"values: {line}" for line in ev.describe())]
    role, score = guess.role, guess.score
    spec = datasets.get(dataset)
    if ev.n == 0:
        return RoleGuess(role, score * 0.8 if role else 0.0, [*evidence, "no values to confirm"])
    if role in TIME_ROLES:
        if ev.date_share >= 0.6:
            return RoleGuess(role, min(1.0, score + 0.1), evidence)
        return RoleGuess(None, 0.0, [*evidence, f"rejected {role}: the values are not dates"])
    if role == "appeal_type":
        if ev.appeal_share >= 0.5:
            return RoleGuess(role, min(1.0, score + 0.15), evidence)
        if "category" in spec.schema.names:
            return RoleGuess("category", 0.6, [*evidence, "not appeal types: taken as a category"])
    if role == "closed_flag":
        if ev.yes_no_share >= 0.8:
            return RoleGuess(role, min(1.0, score + 0.1), evidence)
        return RoleGuess(None, 0.0, [*evidence, "rejected closed flag: the values are not 是/否"])
    if role in {ds.id_column for ds in datasets.all_datasets()}:
        if ev.unique_share >= 0.9 and ev.mean_length < 40:
            return RoleGuess(role, min(1.0, score + 0.1), evidence)
        return RoleGuess(None, 0.0, [*evidence, f"rejected {role}: the values repeat"])
    if role in ("satisfaction_label", "rating_label") and ev.rating_share >= 0.5:
        return RoleGuess(role, min(1.0, score + 0.1), evidence)
    if role in ("content", "comment") and ev.mean_length >= 10:
        return RoleGuess(role, min(1.0, score + 0.1), evidence)
    if role is not None:
        return RoleGuess(role, score, evidence)
    # No role from the header: the values alone may name one, at a modest score.
    if ev.appeal_share >= 0.8:
        return RoleGuess("appeal_type", 0.6, [*evidence, "values are appeal types"])
    if ev.rating_share >= 0.8:
        return RoleGuess(spec.rating_role, 0.6, [*evidence, "values are ratings"])
    if ev.status_share >= 0.8 and spec.status_kind is not None:
        return RoleGuess("status", 0.55, [*evidence, "values are statuses"])
    return RoleGuess(None, 0.0, evidence)


# ------------------------------------------------------------------------------ header rows

#: Longest cell text still read as a header (longer cells are titles or data).
MAX_HEADER_CHARS = 16


@functools.cache
def is_header_like(key: str) -> bool:
    """Whether a normalised cell reads as a column header by its parts (for finding header rows).

    It needs an attribute (时间, 编号, 状态 …) or a yes/no question, and is short. A one-character
    attribute word (号, 类, 数) counts only in a header of at most three characters, so data such
    as 民生保障类 is not taken for a header.
    """
    if not key or len(key) > MAX_HEADER_CHARS:
        return False
    parts = split_header(key)
    if parts.flag:
        return True
    if parts.attribute is None or parts.attribute == "ignore":
        return False
    attribute_words = [
        w for w, kind in _words("attributes") if kind == parts.attribute and w in key.lower()
    ]
    return any(len(w) >= 2 for w in attribute_words) or len(key) <= 3


def unit_scale(unit: str) -> float:
    """What one written unit is worth (万件 -> 10000, % -> 0.01, 件 -> 1); 1 when unknown."""
    return float(lexicon()["units"]["scale"].get(unit, 1))


@functools.cache
def without_unit(key: str) -> str:
    """A normalised header without a trailing unit word (办件量万件 -> 办件量), else unchanged.

    Normalisation drops the brackets, so 办件量（万件） arrives here as 办件量万件.
    """
    for unit in sorted(lexicon()["units"]["scale"], key=len, reverse=True):
        folded = normalize_header(unit)
        if folded and key.endswith(folded) and len(key) > len(folded) + 1:
            return key[: -len(folded)]
    return key
