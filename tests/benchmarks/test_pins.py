"""Pinned, hashed data: unpinned hub data is refused before anything loads, the files behind a loaded dataset
are hashed, and a verifier's data is compared with the run's file by file."""

from __future__ import annotations

import json

import pytest
import yaml

from harness.benchmarks.pins import check_pins, first_difference, loaded_files, unpinned
from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.errors import ConfigError
from harness.paths import CONFIG_DIR


def spec(*overrides):
    return build_run_spec(compose("run", ["model=tiny", *overrides]))


def test_every_benchmark_config_states_a_revision_for_each_dataset():
    """Pinned or explicitly null (then `harness run` on the hub refuses it unless data.allow_unpinned=true)."""
    for path in sorted((CONFIG_DIR / "benchmark").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for d in doc.get("datasets") or []:
            assert "revision" in d, f"{path.name}: dataset {d.get('id')} names no revision"


def test_a_hub_run_of_unpinned_data_is_refused_naming_the_config(tmp_path):
    s = spec("suite=global_common", "data.source=hub", f"out={tmp_path / 'p'}")
    assert unpinned(s)
    with pytest.raises(ConfigError, match=r"no pinned revision.*--pin-configs.*data.allow_unpinned=true") as err:
        check_pins(s)
    assert err.value.file.endswith(f"benchmark/{unpinned(s)[0][0]}.yaml") and err.value.field == "datasets.revision"
    check_pins(spec("suite=global_common", "data.source=hub", "data.allow_unpinned=true", f"out={tmp_path / 'p'}"))
    check_pins(spec("suite=sample", f"out={tmp_path / 'p'}"))  # our sample sets are files in the repository


def test_the_files_behind_a_loaded_dataset_are_hashed(tmp_path):
    import datasets

    src = tmp_path / "test.jsonl"
    src.write_text("".join(json.dumps({"q": f"question {i}", "a": i}) + "\n" for i in range(5)))
    cache = tmp_path / "cache"
    first = loaded_files(datasets.load_dataset("json", data_files={"test": str(src)}, cache_dir=str(cache)))
    assert first and all(len(h) == 64 for h in first.values())
    src.write_text("".join(json.dumps({"q": f"question {i}", "a": i + 1}) + "\n" for i in range(5)))
    second = loaded_files(datasets.load_dataset("json", data_files={"test": str(src)}, cache_dir=str(cache)))
    assert set(first.values()) != set(second.values())  # other items, other hashes


def _use(source="sample", revision=None, **files):
    return {"id": "HAERAE-HUB/HRM8K", "config": "KSM", "source": source, "revision": revision,
            "files": {f"/somewhere/{k}.jsonl": v for k, v in files.items()}}


def test_the_first_differing_file_is_named():
    run = [_use(test="a" * 64, train="b" * 64)]
    assert first_difference(run, [_use(test="a" * 64, train="b" * 64)]) is None
    assert "file train.jsonl has sha256 cccccccccccc" in first_difference(run, [_use(test="a" * 64, train="c" * 64)])
    assert "test.jsonl was read by the run but is not in the verifier's copy" in first_difference(run, [_use(train="b" * 64)])
    assert "revision r1, the verifier has r2" in first_difference([_use(revision="r1")], [_use(revision="r2")])
    # hub cache vs mirror files: only the revisions compare
    assert first_difference([_use("hub", "r1", x="1" * 64)], [_use("mirror", "r1", test="2" * 64)]) is None
