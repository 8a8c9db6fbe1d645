"""The Dagster home (instance settings, PII key) is set up safely when several runs start at
once on a fresh folder."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from govdw import settings
from orchestration.lib.instance import INSTANCE_YAML, ensure_instance_yaml


def test_concurrent_first_runs_all_get_the_instance_yaml(tmp_path: Path) -> None:
    # The failure seen in CI: two `govdw run` on a fresh home shared one temp file name and the
    # loser's rename found it gone. Many processes, many fresh homes, so a race has room to happen.
    homes = [tmp_path / f"home{i}" for i in range(20)]
    with ProcessPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(ensure_instance_yaml, [h for h in homes for _ in range(4)]))
    assert sorted(set(results)) == sorted(h / "dagster.yaml" for h in homes)
    for home in homes:
        assert (home / "dagster.yaml").read_text(encoding="utf-8") == INSTANCE_YAML
        assert [p.name for p in home.iterdir()] == ["dagster.yaml"], "temp files left behind"


def test_an_edited_instance_yaml_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "dagster.yaml"
    path.write_text("telemetry:\n  enabled: false\n# mine\n", encoding="utf-8")
    assert ensure_instance_yaml(tmp_path) == path
    assert path.read_text(encoding="utf-8").endswith("# mine\n")


def _key_in(home: Path) -> bytes:
    os.environ.pop("GOVDW_PII_KEY", None)
    os.environ["DAGSTER_HOME"] = str(home)
    return settings.pii_key()


def test_concurrent_first_runs_share_one_generated_pii_key(tmp_path: Path) -> None:
    # Two runs on a fresh home must hash with the same key: a second key written over the first
    # would give one caller two keys.
    homes = [tmp_path / f"home{i}" for i in range(20)]
    with ProcessPoolExecutor(max_workers=4) as pool:
        keys = list(pool.map(_key_in, [h for h in homes for _ in range(4)]))
    for i, home in enumerate(homes):
        stored = (home / "secrets" / "pii.key").read_text(encoding="utf-8").strip().encode()
        assert set(keys[i * 4 : i * 4 + 4]) == {stored}
        assert [p.name for p in (home / "secrets").iterdir()] == ["pii.key"], "temp files left"
