"""fetch_datasets' mirror, made from a fake local hub, is read back by a real run with the hub disabled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.errors import DataError
from harness.paths import SAMPLES_DIR
from harness.benchmarks.factory import load_benchmark
from harness.benchmarks.data import DatasetResolver
from harness.benchmarks.mirror import mirror


def fake_hub(path, name=None, revision=None, **kwargs):
    """Stands in for the Hub: serves our sample sets, and records what was asked."""
    import datasets

    fake_hub.calls.append((path, name, revision))
    d = SAMPLES_DIR / path / (name or "default")
    return datasets.load_dataset("json", data_files={p.stem: str(p) for p in d.glob("*.jsonl")})


fake_hub.calls = []


def spec(*overrides):
    return build_run_spec(compose("run", ["model=tiny", *overrides]))


def test_mirror_layout_and_offline_read(tmp_path, monkeypatch):
    out = tmp_path / "mirror"
    doc = mirror([spec("suite=sample", "data=default")], out, load=fake_hub, resolve_revision=lambda i, r: r or f"sha-of-{i}")
    ids = {(d["id"], d["config"]) for d in doc["datasets"]}
    assert ("HAERAE-HUB/HRM8K", "KSM") in ids and ("HAERAE-HUB/HAE_RAE_BENCH", "history") in ids
    for d in doc["datasets"]:
        assert d["revision"] == f"sha-of-{d['id']}"
        for rel, digest in d["files"].items():
            assert (out / rel).is_file() and len(digest) == 64
    assert json.loads((out / "MIRROR.json").read_text()) == doc

    # offline: the hub is disabled and any attempt to reach it fails the test
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    run = spec("suite=sample", f"data.root={out}")
    assert run.data.source == "mirror"
    resolver = DatasetResolver(run.data, {})
    for b in run.benchmarks:
        tasks = load_benchmark(b, resolver)
        assert tasks.samples(chat=None, system_prompt=None, limit=None)
    assert {u.source for u in resolver.used} == {"mirror"}
    assert all(Path(f).is_relative_to(out) for u in resolver.used for f in u.files)


def test_a_dataset_missing_from_the_mirror_is_named(tmp_path):
    (tmp_path / "empty").mkdir()
    run = spec("suite=sample", f"data.root={tmp_path / 'empty'}")
    with pytest.raises(DataError, match="HAERAE-HUB/HAE_RAE_BENCH"):
        load_benchmark(run.benchmarks[0], DatasetResolver(run.data, {}))


def test_the_mirror_revision_is_recorded_and_a_different_pin_refused(tmp_path):
    from harness.config.spec import DatasetRef
    from harness.benchmarks.data import MIRROR_MANIFEST

    out = tmp_path / "mirror"
    mirror([spec("suite=sample", "data=default")], out, load=fake_hub, resolve_revision=lambda i, r: r or f"sha-of-{i}")
    run = spec("suite=sample", f"data.root={out}", "+suite.only=[hrm8k_ksm]")
    resolver = DatasetResolver(run.data, {})
    load_benchmark(run.benchmarks[0], resolver)
    assert {u.revision for u in resolver.used} == {"sha-of-HAERAE-HUB/HRM8K"}  # the manifest names what was read
    pinned = {"HAERAE-HUB/HRM8K": DatasetRef("HAERAE-HUB/HRM8K", revision="another-commit")}
    with pytest.raises(DataError, match="at revision sha-of-HAERAE-HUB/HRM8K, but the benchmark pins another-commit") as err:
        load_benchmark(run.benchmarks[0], DatasetResolver(run.data, pinned))
    assert err.value.file == str(out / MIRROR_MANIFEST) and err.value.field == "data.root"
    (out / MIRROR_MANIFEST).write_text("{not json")
    with pytest.raises(DataError, match="unreadable mirror manifest"):
        DatasetResolver(run.data, {})


def test_pin_configs_writes_fetched_revisions_into_unpinned_configs(tmp_path):
    from harness.benchmarks.mirror import pin_configs

    (tmp_path / "a.yaml").write_text("# A\ntask: a\ndatasets:\n  - id: org/one\n    revision: null   # pinned on first mirror\n"
                                     "    licence: MIT\n  - id: org/two\n    revision: null\n")
    (tmp_path / "b.yaml").write_text("task: b\ndatasets:\n  - id: org/one\n    revision: keep-me\n")
    doc = {"datasets": [{"id": "org/one", "config": "x", "revision": "abc123"}, {"id": "org/one", "config": "y", "revision": "abc123"},
                        {"id": "org/two", "config": "x", "revision": "r1"}, {"id": "org/two", "config": "y", "revision": "r2"}]}
    written = pin_configs(doc, tmp_path)
    assert written == [(str(tmp_path / "a.yaml"), "org/one", "abc123")]  # org/two: two revisions, ambiguous, left alone
    a = (tmp_path / "a.yaml").read_text().splitlines()
    assert a[0] == "# A" and a[4].startswith("    revision: abc123   # pinned by scripts/fetch_datasets.py on ")
    assert a[7] == "    revision: null" and "keep-me" in (tmp_path / "b.yaml").read_text()
