"""The Dagster home is set up safely when several runs start at once on a fresh folder."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

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
