"""Issue 9: a vocabulary file in the project extends or overrides the shipped one (no code edits).

Each case runs `govdw inspect` in a fresh process with GOVDW_VOCAB set, as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

GOVDW = Path(sys.executable).parent / "govdw"


def _inspect(file: Path, vocab: Path | None) -> dict[str, Any]:
    env = {**os.environ, "GOVDW_PII_KEY": "vocab-test"}
    env.pop("GOVDW_VOCAB", None)
    if vocab is not None:
        env["GOVDW_VOCAB"] = str(vocab)
    done = subprocess.run(
        [str(GOVDW), "inspect", str(file), "--region", "640522", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(
        "工单编号,处理状态,承办单位,Tag\nGD1,已办结,城关镇,2023-01-02\nGD2,办理中,城关镇,2023-01-03\n",
        encoding="utf-8",
    )
    return path


def _mapping(report: dict[str, Any]) -> dict[str, str]:
    return dict(report["sheets"][0]["tables"][0]["column_mapping"])


def test_without_the_file_the_table_is_refused_with_the_fixing_line(tmp_path: Path) -> None:
    report = _inspect(_export(tmp_path), None)
    assert report["status"] == "quarantined"
    problem = " ".join(report["problems"])
    assert "received_at" in problem and "Tag" in problem
    assert '[hotline_orders.columns] received_at = ["Tag"]' in problem
    # The same, structured, for tools: header row, closest dataset, missing roles, candidates.
    table = report["sheets"][0]["tables"][0]
    assert table["header_rows"] == [1]
    refused = table["refused"]
    assert refused["dataset"] == "hotline" and refused["roles_matched"] >= 2
    assert refused["missing_roles"] == ["received_at"]
    assert refused["candidates"]["received_at"][0][0] == "Tag"
    assert refused["vocabulary_fix"] == ['[hotline_orders.columns] received_at = ["Tag"]']


def test_the_line_it_proposes_makes_the_file_load(tmp_path: Path) -> None:
    vocab = tmp_path / "govdw-vocab.toml"
    vocab.write_text('[hotline_orders.columns]\nreceived_at = ["Tag"]\n', encoding="utf-8")
    report = _inspect(_export(tmp_path), vocab)
    assert report.get("status", "loaded") != "quarantined", report.get("problems")
    assert _mapping(report)["Tag"] == "received_at"


def test_a_user_form_overrides_the_shipped_role(tmp_path: Path) -> None:
    vocab = tmp_path / "v.toml"
    # 承办单位 is handling_unit in synonyms.toml; this office means the caller's employer by it.
    vocab.write_text(
        '[hotline_orders.columns]\nreceived_at = ["Tag"]\ncaller_address = ["承办单位"]\n',
        encoding="utf-8",
    )
    assert _mapping(_inspect(_export(tmp_path), vocab))["承办单位"] == "caller_address"


def test_header_parts_can_be_extended(tmp_path: Path) -> None:
    export = tmp_path / "o.csv"
    export.write_text("工单编号,发生时刻\nGD1,2023-01-02 08:00\n", encoding="utf-8")
    assert _inspect(export, None)["sheets"][0]["tables"][0]["column_roles"][1]["role"] == (
        "received_at"
    )  # a bare time is read as the received time already (score 0.55) …
    vocab = tmp_path / "v.toml"
    vocab.write_text('[header_parts.events]\nreceived = ["发生"]\n', encoding="utf-8")
    roles = _inspect(export, vocab)["sheets"][0]["tables"][0]["column_roles"]
    assert roles[1]["role"] == "received_at"
    assert "event=received" in roles[1]["evidence"][0]  # … and with the event word, by its parts


def test_a_broken_file_is_named(tmp_path: Path) -> None:
    vocab = tmp_path / "broken.toml"
    vocab.write_text("[nonsense]\nx = 1\n", encoding="utf-8")
    report = _inspect(_export(tmp_path), vocab)
    assert report["status"] == "quarantined"
    assert str(vocab) in " ".join(report["problems"])


def test_the_parser_version_follows_the_file(tmp_path: Path) -> None:
    vocab = tmp_path / "v.toml"
    code = "from govdw.ingest import parser_version; print(parser_version())"
    env = {**os.environ, "GOVDW_PII_KEY": "k", "GOVDW_VOCAB": str(vocab)}
    run = [sys.executable, "-c", code]
    before = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    vocab.write_text('[hotline_orders.columns]\nreceived_at = ["Tag"]\n', encoding="utf-8")
    after = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    assert before.strip() and after.strip() and before != after
