"""The dataset registry is the one place a dataset is described (issue 10).

The derived lists agree with the registry, and a toy dataset — 信访 (petition) registers, with
its vocabulary in a user vocabulary file — is classified, mapped, masked, checked for its
required roles and landed by the unchanged ingester, through the registry alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from govdw import datasets, landing, roles, vocab
from govdw.mapping import landable_roles
from orchestration.defs.warehouse.checks import FACT_TABLES

REGION = "150303-海南区"


def test_registry_facts_feed_the_derived_lists() -> None:
    names = datasets.names()
    assert names == ("hotline", "service", "evaluation")
    tables = list(datasets.landing_tables())
    assert tables[:3] == [datasets.get(n).table for n in names]
    assert tables[3:] == list(landing.SHARED_TABLES)
    assert "files" not in datasets.per_file_tables()
    assert FACT_TABLES == {
        "fct_hotline_orders": "hotline_orders",
        "fct_service_cases": "service_cases",
        "fct_evaluations": "evaluations",
        "fct_reported_stats": "reported_stats",
    }
    for ds in datasets.all_datasets():
        assert datasets.get(ds.table) is ds
        # Every vocabulary column and required role is something the dataset can land or keys on.
        assert ds.id_column in vocab.columns(ds.name)
        for group in ds.required_roles:
            assert set(group) <= landable_roles(ds.name)
        assert datasets.of_metric(ds.count_metric, None) == ds.name
        for column in ds.pii.columns:
            assert column not in ds.schema.names, f"{ds.name}: PII column {column} is stored"
    # Every subject word kind of header_parts.toml names a dataset's records.
    assert {ds.subject for ds in datasets.all_datasets()} == set(roles.lexicon()["subjects"])
    assert datasets.of_metric("satisfaction_rate", None) == "evaluation"
    assert datasets.of_metric("close_rate", None) == "hotline"
    assert datasets.of_metric("close_rate", "service") == "service"


def test_a_registry_entry_is_checked() -> None:
    bad_schema = datasets.HOTLINE.schema.remove(0)
    try:
        datasets.Dataset(**{**datasets.HOTLINE.__dict__, "name": "x", "schema": bad_schema})
    except ValueError as err:
        assert "lineage" in str(err)
    else:  # pragma: no cover - the assertion message says what went wrong
        raise AssertionError("a schema without lineage columns was accepted")
    try:
        datasets.register(datasets.HOTLINE)
    except ValueError as err:
        assert "already registered" in str(err)
    else:  # pragma: no cover
        raise AssertionError("a dataset was registered twice")


#: Run in a fresh interpreter: register the toy dataset, ingest a raw folder, print what landed.
TOY = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import duckdb
    import pyarrow as pa

    from govdw import datasets, ingest, landing

    datasets.register(
        datasets.Dataset(
            name="petition",
            table="petitions",
            fact="fct_petitions",
            schema=pa.schema(
                [
                    *landing.LINEAGE,
                    pa.field("source_petition_id", pa.string()),
                    pa.field("received_at", pa.timestamp("us")),
                    pa.field("handling_unit", pa.string()),
                    pa.field("petitioner_key", pa.string()),
                ]
            ),
            id_column="source_petition_id",
            hints=("信访",),
            hint_rank=3,
            required_roles=(("received_at",),),
            optional_roles=((("handling_unit",), "no handling unit"),),
            role_rules=(
                ("received", "time", "received_at"),
                (None, "time", "received_at"),
                (None, "id", "source_petition_id"),
                ("*", "unit", "handling_unit"),
                ("*", "phone", "petitioner_phone"),
            ),
            subject="petition",
            count_metric="petitions_received",
            metric_prefix="petitions_",
            pii=datasets.Pii(("petitioner_phone",), (), "petitioner_key"),
        )
    )
    raw, build = Path(sys.argv[1]), Path(sys.argv[2])
    summary = ingest.ingest_dir(raw, build, workers=0)
    con = duckdb.connect(str(build), read_only=True)
    files = con.execute(
        "select file_path, dataset, status, rows, error, warnings from landing.files order by 1"
    ).fetchall()
    rows = con.execute(
        "select source_petition_id, received_at::varchar, handling_unit, "
        "petitioner_key is not null from landing.petitions order by 1"
    ).fetchall()
    columns = [r[0] for r in con.execute("describe landing.petitions").fetchall()]
    issues = con.execute("select column_name, value from landing.cell_issues").fetchall()
    print(json.dumps({"files": files, "rows": rows, "columns": columns, "issues": issues}))
    """
)


def test_a_toy_dataset_lands_through_the_registry_alone(tmp_path: Path) -> None:
    folder = tmp_path / "raw" / REGION / "信访"
    folder.mkdir(parents=True)
    # Two headers the vocabulary names (信访编号, 登记日期); 办理单位 and 联系电话 are understood
    # from their parts by the dataset's role rules.
    (folder / "信访件登记表_2024.csv").write_text(
        "信访编号,登记日期,办理单位,联系电话\n"
        "XF001,2024-03-01,城关镇,13800000001\n"
        "XF002,2024/3/2,城关镇,13800000002\n"
        "XF003,不详,巴音镇,13800000003\n",
        encoding="utf-8",
    )
    # No date column at all: refused whole, saying which dataset it reads as and what is missing.
    (folder / "信访件登记表_无日期.csv").write_text(
        "信访编号,办理单位\nXF101,城关镇\n", encoding="utf-8"
    )
    user_vocab = tmp_path / "govdw-vocab.toml"
    user_vocab.write_text(
        '[petitions.columns]\nsource_petition_id = ["信访编号"]\nreceived_at = ["登记日期"]\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "GOVDW_PII_KEY": "toy-key",
        "GOVDW_VOCAB": str(user_vocab),
        "GOVDW_RAW_DIR": str(tmp_path / "raw"),
    }
    done = subprocess.run(
        [sys.executable, "-c", TOY, str(tmp_path / "raw"), str(tmp_path / "build.duckdb")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    files = {Path(f[0]).name: f for f in out["files"]}
    good = files["信访件登记表_2024.csv"]
    assert good[1:4] == ["petition", "loaded", 3], good
    refused = files["信访件登记表_无日期.csv"]
    assert refused[2] == "quarantined" and "received_at" in refused[4], refused
    assert "reads as petition" in refused[4]
    assert out["rows"] == [
        ["XF001", "2024-03-01 00:00:00", "城关镇", True],
        ["XF002", "2024-03-02 00:00:00", "城关镇", True],
        ["XF003", None, "巴音镇", True],
    ]
    # The phone number was never stored: only its keyed hash.
    assert "petitioner_phone" not in out["columns"] and "petitioner_key" in out["columns"]
    assert ["登记日期", "不详"] in out["issues"]
