"""The dataset registry: one frozen record per detail dataset (12345 orders, service-hall cases,
好差评 evaluations), from which every per-dataset list in govdw is derived.

A record names the dataset's landing table and its Arrow schema, its vocabulary section, the
roles a table must or should have, its identifying (PII) columns, the metric a row count
reports, its status kind and how header parts become roles. Adding a dataset means adding one
record here, its vocabulary (`vocab/synonyms.toml` or the user vocabulary) and its dbt models:
see docs/adding-a-dataset.md. Nothing else in the library names a dataset.

This module sits at the bottom of the library: it imports only `govdw.landing` (the shared
schemas), so every other module may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from govdw import landing

#: A header-role rule: (event, attribute, role). Event ``"*"`` matches any event, ``None`` a
#: header without one; the first matching rule wins (see `govdw.roles.header_role`).
RoleRule = tuple[str | None, str, str]

#: The canonical rating scale of 好差评 (docs/contract.md): rating -> label.
RATING_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

_TS = pa.timestamp("us")


@dataclass(frozen=True)
class Pii:
    """A dataset's identifying columns: never stored. The first present of `key_sources` (phone
    before name) feeds `key_column`, a keyed hash that counts repeat callers without naming them."""

    key_sources: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    key_column: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every identifying role of the dataset."""
        return (*self.key_sources, *self.dropped)


@dataclass(frozen=True)
class Dataset:
    """One detail dataset and everything the library needs to know about it."""

    #: Short name written in `audit_files.dataset` and `fct_reported_stats.dataset`.
    name: str
    #: Landing table (schema `landing`) and section of the vocabulary (`[<table>.columns]`).
    table: str
    #: The published fact table its dbt models build from the landing table.
    fact: str
    #: Arrow schema of the landing table: lineage columns first.
    schema: pa.Schema
    #: The column holding the export's own record id.
    id_column: str
    #: Words in titles, sheet and file names that hint at the dataset (tie-breakers only).
    hints: tuple[str, ...]
    #: Hints are tried by descending rank: words that qualify another dataset's words come first
    #: (an evaluation export's title says 12345热线好差评; a case export's 办件 beats 热线).
    hint_rank: int
    #: Roles a table must have to be loaded: every group needs one of its roles.
    required_roles: tuple[tuple[str, ...], ...]
    #: Roles whose absence loads the table with a warning saying what it costs.
    optional_roles: tuple[tuple[tuple[str, ...], str], ...]
    #: Header parts -> roles for headers the vocabulary does not know (`govdw.roles`).
    role_rules: tuple[RoleRule, ...]
    #: Subject word of a header (`header_parts.toml` [subjects]) that names this dataset's records.
    subject: str
    #: The metric a summary table reports for a count of this dataset's records.
    count_metric: str
    #: Metric codes beginning with this prefix belong to the dataset (docs/contract.md §5).
    metric_prefix: str
    #: Further metric codes that belong to it without the prefix (rates).
    metrics: tuple[str, ...] = ()
    #: Rates that several datasets report; a table of no other metric gives them to this one.
    default_for: tuple[str, ...] = ()
    #: Detail column summed (not counted) -> the metric its sum reports.
    summed_metrics: dict[str, str] = field(default_factory=dict)
    #: Roles the table can land besides its vocabulary's columns (derived flags).
    extra_roles: frozenset[str] = frozenset()
    #: Label kind of its `status` column (vocabulary [labels.<kind>]); None: no status.
    status_kind: str | None = None
    #: The role a satisfaction rating column takes in this dataset.
    rating_role: str = "satisfaction_label"
    #: Identifying columns.
    pii: Pii = Pii()
    #: Whether an export without a channel column implies one from its subject word (留言 …).
    implied_channel: bool = False

    def __post_init__(self) -> None:
        names = self.schema.names
        if tuple(names[: len(landing.LINEAGE_NAMES)]) != landing.LINEAGE_NAMES:
            raise ValueError(f"dataset {self.name}: its schema must start with the lineage columns")
        for what, column in (("id", self.id_column), ("key", self.pii.key_column)):
            if column is not None and column not in names:
                raise ValueError(f"dataset {self.name}: {what} column {column} not in its schema")

    def owns_metric(self, metric: str) -> bool:
        """Whether a metric code belongs to this dataset without looking at its table."""
        return metric.startswith(self.metric_prefix) or metric in self.metrics


def _schema(*fields: pa.Field) -> pa.Schema:
    return pa.schema([*landing.LINEAGE, *fields])


HOTLINE = Dataset(
    name="hotline",
    table="hotline_orders",
    fact="fct_hotline_orders",
    schema=_schema(
        pa.field("source_order_id", pa.string()),
        pa.field("received_at", _TS),
        pa.field("dispatched_at", _TS),
        pa.field("accepted_at", _TS),
        pa.field("due_at", _TS),
        pa.field("closed_at", _TS),
        pa.field("handling_unit", pa.string()),
        pa.field("appeal_type", pa.string()),
        pa.field("category", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("admin_level", pa.string()),
        pa.field("status", pa.string()),
        pa.field("satisfaction_label", pa.string()),
        pa.field("is_redone", pa.bool_()),
        pa.field("supervised_count", pa.int32()),
        pa.field("content_masked", pa.string()),
        pa.field("caller_key", pa.string()),
    ),
    id_column="source_order_id",
    hints=("热线", "工单", "12345"),
    hint_rank=0,
    # An order needs a received date (its id may be missing: the row key stands in).
    required_roles=(("received_at",),),
    optional_roles=(
        (("source_order_id",), "no order id: records are keyed by file, sheet and row"),
        (("status", "closed_flag", "closed_at"), "no status or closing time: closed is unknown"),
        (("handling_unit",), "no handling unit: unit scorecards leave these orders out"),
        (("appeal_type",), "no appeal type (诉求类型)"),
        (("category",), "no category (分类)"),
    ),
    role_rules=(
        ("*", "ignore", "ignored"),
        ("dispatched", "time", "dispatched_at"),
        ("accepted", "time", "accepted_at"),
        ("due", "time", "due_at"),
        ("due", "", "due_at"),
        ("closed", "time", "closed_at"),
        ("closed", "content", "reply_content"),
        ("closed", "flag", "closed_flag"),
        ("closed", "", "closed_at"),
        ("evaluated", "status", "satisfaction_label"),
        ("evaluated", "time", "ignored"),
        ("received", "time", "received_at"),
        (None, "time", "received_at"),
        ("*", "id_number", "caller_id_number"),
        ("*", "phone", "caller_phone"),
        ("*", "address", "caller_address"),
        ("*", "name", "caller_name"),
        ("*", "satisfaction", "satisfaction_label"),
        ("received", "id", "source_order_id"),
        (None, "id", "source_order_id"),
        ("*", "title", "title"),
        ("*", "content", "content"),
        ("*", "type", "appeal_type"),
        ("*", "category", "category"),
        ("*", "status", "status"),
        ("*", "unit", "handling_unit"),
        ("*", "channel", "channel"),
        ("*", "level", "admin_level"),
        ("*", "region", "region"),
        ("*", "count", "count"),
        ("*", "rate", "rate"),
    ),
    subject="request",
    count_metric="orders_received",
    metric_prefix="orders_",
    metrics=("receipt_rate",),
    default_for=("close_rate",),
    summed_metrics={"supervised_count": "orders_supervised"},
    extra_roles=frozenset({"closed_flag"}),
    status_kind="hotline_status",
    pii=Pii(("caller_phone", "caller_name"), ("caller_id_number", "caller_address"), "caller_key"),
    implied_channel=True,
)

SERVICE = Dataset(
    name="service",
    table="service_cases",
    fact="fct_service_cases",
    schema=_schema(
        pa.field("source_case_id", pa.string()),
        pa.field("item_name", pa.string()),
        pa.field("department", pa.string()),
        pa.field("accepted_at", _TS),
        pa.field("completed_at", _TS),
        pa.field("promised_working_days", pa.int32()),
        pa.field("status", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("applicant_key", pa.string()),
    ),
    id_column="source_case_id",
    hints=("办件",),
    hint_rank=1,
    # A case needs its accepted date.
    required_roles=(("accepted_at",),),
    optional_roles=(
        (("source_case_id",), "no case id: records are keyed by file, sheet and row"),
        (("status", "closed_flag", "completed_at"), "no status or completion time"),
        (("department",), "no department"),
        (("item_name",), "no item name (事项名称)"),
    ),
    role_rules=(
        ("*", "ignore", "ignored"),
        ("closed", "time", "completed_at"),
        ("closed", "flag", "closed_flag"),
        ("closed", "", "completed_at"),
        ("received", "time", "accepted_at"),
        (None, "time", "accepted_at"),
        ("*", "id_number", "applicant_id_number"),
        ("*", "phone", "applicant_phone"),
        ("*", "name", "applicant_name"),
        ("received", "id", "source_case_id"),
        (None, "id", "source_case_id"),
        ("*", "status", "status"),
        ("*", "unit", "department"),
        ("*", "channel", "channel"),
        ("*", "title", "title"),
        ("*", "region", "region"),
        ("*", "count", "count"),
        ("*", "rate", "rate"),
    ),
    subject="case",
    count_metric="cases_accepted",
    metric_prefix="cases_",
    extra_roles=frozenset({"closed_flag"}),
    status_kind="case_status",
    pii=Pii(("applicant_phone", "applicant_name"), ("applicant_id_number",), "applicant_key"),
)

EVALUATION = Dataset(
    name="evaluation",
    table="evaluations",
    fact="fct_evaluations",
    schema=_schema(
        pa.field("source_evaluation_id", pa.string()),
        pa.field("evaluated_at", _TS),
        pa.field("channel", pa.string()),
        pa.field("item_name", pa.string()),
        pa.field("department", pa.string()),
        pa.field("admin_level", pa.string()),
        pa.field("rating", pa.int8()),
        pa.field("rating_label", pa.string()),
        pa.field("comment_masked", pa.string()),
    ),
    id_column="source_evaluation_id",
    hints=("好差评", "评价"),
    hint_rank=2,
    # An evaluation needs its rating and its date.
    required_roles=(("rating_label",), ("evaluated_at",)),
    optional_roles=(
        (("source_evaluation_id",), "no evaluation id: records are keyed by file, sheet and row"),
        (("department",), "no department"),
        (("channel",), "no channel (评价渠道)"),
    ),
    role_rules=(
        ("*", "ignore", "ignored"),
        ("evaluated", "time", "evaluated_at"),
        ("received", "time", "evaluated_at"),
        (None, "time", "evaluated_at"),
        ("*", "phone", "evaluator_phone"),
        ("*", "name", "evaluator_name"),
        ("*", "satisfaction", "rating_label"),
        ("evaluated", "status", "rating_label"),
        ("evaluated", "id", "source_evaluation_id"),
        (None, "id", "source_evaluation_id"),
        ("*", "content", "comment"),
        ("*", "unit", "department"),
        ("*", "channel", "channel"),
        ("*", "level", "admin_level"),
        ("*", "region", "region"),
        ("*", "count", "count"),
        ("*", "rate", "rate"),
    ),
    subject="evaluation",
    count_metric="evaluations_total",
    metric_prefix="evaluations_",
    metrics=("very_satisfied_rate",),
    default_for=("satisfaction_rate",),
    rating_role="rating_label",
    pii=Pii((), ("evaluator_name", "evaluator_phone"), None),
)

#: The registry, in landing load order. `register` adds to it.
_REGISTRY: dict[str, Dataset] = {ds.name: ds for ds in (HOTLINE, SERVICE, EVALUATION)}


def register(dataset: Dataset) -> Dataset:
    """Add a dataset (before anything is parsed); its name and table must be new."""
    taken = {ds.table for ds in _REGISTRY.values()} | set(landing.SHARED_TABLES)
    if dataset.name in _REGISTRY or dataset.table in taken:
        raise ValueError(f"dataset {dataset.name} / table {dataset.table} is already registered")
    _REGISTRY[dataset.name] = dataset
    return dataset


def unregister(name: str) -> None:
    """Remove a registered dataset (tests)."""
    _REGISTRY.pop(name, None)


def all_datasets() -> tuple[Dataset, ...]:
    """Every detail dataset, in landing load order."""
    return tuple(_REGISTRY.values())


def names() -> tuple[str, ...]:
    """Dataset names (hotline, service, evaluation, …)."""
    return tuple(_REGISTRY)


def get(name_or_table: str) -> Dataset:
    """A dataset by its name (``hotline``) or its landing table (``hotline_orders``)."""
    found = _REGISTRY.get(name_or_table)
    if found is None:
        found = next((ds for ds in _REGISTRY.values() if ds.table == name_or_table), None)
    if found is None:
        known = sorted({*_REGISTRY, *(ds.table for ds in _REGISTRY.values())})
        raise KeyError(f"unknown dataset {name_or_table!r}; expected one of {', '.join(known)}")
    return found


def by_subject(subject: str) -> Dataset | None:
    """The dataset whose records a header's subject word names (工单 -> hotline), if any."""
    return next((ds for ds in _REGISTRY.values() if ds.subject == subject), None)


def of_metric(metric: str, fallback: str | None) -> str:
    """The dataset a metric belongs to; a rate several datasets report follows `fallback` (the
    table's other metrics), else the dataset it defaults to, else the first dataset."""
    for ds in _REGISTRY.values():
        if ds.owns_metric(metric):
            return ds.name
    if fallback:
        return fallback
    for ds in _REGISTRY.values():
        if metric in ds.default_for:
            return ds.name
    return next(iter(_REGISTRY))


def shared_metrics() -> frozenset[str]:
    """Rates several datasets report (close_rate, satisfaction_rate): no evidence of a dataset."""
    return frozenset(m for ds in _REGISTRY.values() for m in ds.default_for)


def landing_tables() -> dict[str, pa.Schema]:
    """Every landing table (schema `landing`) -> its Arrow schema, in load order: the detail
    datasets first, then the shared tables (reported_stats … files)."""
    return {**{ds.table: ds.schema for ds in _REGISTRY.values()}, **landing.SHARED_TABLES}


def per_file_tables() -> list[str]:
    """Landing tables whose rows belong to one source file (replaced with the file)."""
    return [name for name in landing_tables() if name != "files"]


def empty_table(name: str) -> pa.Table:
    """An empty Arrow table with the landing schema `name`."""
    return landing_tables()[name].empty_table()


def fact_sources() -> dict[str, str]:
    """Published fact table -> the landing table that feeds it (checks: a fact must hold rows
    when its landing table does)."""
    return {
        **{ds.fact: ds.table for ds in _REGISTRY.values()},
        "fct_reported_stats": "reported_stats",
    }
