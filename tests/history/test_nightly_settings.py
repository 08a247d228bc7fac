"""`harness nightly`'s settings (composed with Hydra) and which checkpoint a night takes, without an engine."""

from __future__ import annotations

import os

import pytest

from harness.cli import main
from harness.config.compose import compose, validated
from harness.errors import ConfigError
from harness.nightly.checkpoints import newest_checkpoint
from harness.nightly.cli import NightlyCfg


def test_the_nightly_config_composes_with_its_defaults_and_overrides():
    cfg = validated("nightly", ["nightly.checkpoints=/ckpt", "history.location=/tmp/h.sqlite"], NightlyCfg)
    assert cfg["nightly"] == {"checkpoints": "/ckpt", "baseline": "last", "threshold": 1.0, "allow_differences": False, "out": "results/nightly"}
    assert cfg["history"]["location"] == "/tmp/h.sqlite"
    listed = validated("nightly", ["nightly.checkpoints=[/a,/b]", "nightly.threshold=2.5"], NightlyCfg)
    assert listed["nightly"]["checkpoints"] == ["/a", "/b"] and listed["nightly"]["threshold"] == 2.5
    assert compose("nightly", [])["nightly"]["baseline"] == "last"
    with pytest.raises(ConfigError) as err:
        validated("nightly", ["nightly.checkpoints=/c", "nightly.threshold=-1"], NightlyCfg)
    assert err.value.field == "nightly.threshold"
    with pytest.raises(ConfigError, match="unknown key"):
        validated("nightly", ["nightly.checkpoints=/c", "+nightly.thresold=2"], NightlyCfg)


def test_the_newest_checkpoint_is_the_highest_step_else_the_latest_modified(tmp_path):
    for name in ("checkpoint-900", "checkpoint-1200", "checkpoint-50", ".tmp-9999"):
        (tmp_path / "numbered" / name).mkdir(parents=True)
    (tmp_path / "numbered" / "notes-5000.txt").write_text("not a checkpoint")
    assert newest_checkpoint(str(tmp_path / "numbered")).name == "checkpoint-1200"
    for i, name in enumerate(("b", "a", "c")):
        d = tmp_path / "named" / name
        d.mkdir(parents=True)
        os.utime(d, (1_000_000 + i, 1_000_000 + i))
    assert newest_checkpoint(str(tmp_path / "named")).name == "c"
    assert newest_checkpoint([str(tmp_path / "numbered" / "checkpoint-900"), str(tmp_path / "numbered" / "checkpoint-50")]).name == "checkpoint-900"


@pytest.mark.parametrize("where, message", [("missing", "not found"), ("empty", "no checkpoint directories")])
def test_no_checkpoint_is_bad_input(tmp_path, where, message):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=message) as err:
        newest_checkpoint(str(tmp_path / where))
    assert err.value.field == "nightly.checkpoints"


def test_nightly_without_checkpoints_or_with_a_bad_run_setting_exits_2_and_records_nothing(tmp_path, capsys):
    loc = f"history.location={tmp_path / 'h.sqlite'}"
    assert main(["nightly", loc]) == 2
    assert "nightly.checkpoints" in capsys.readouterr().err
    (tmp_path / "ckpts" / "step-1").mkdir(parents=True)
    assert main(["nightly", f"nightly.checkpoints={tmp_path / 'ckpts'}", loc, "suite=nonexistent"]) == 2
    assert not (tmp_path / "h.sqlite").exists()


def test_the_baseline_is_the_last_finished_night_before_tonight_or_the_one_pinned(make_pack, tmp_path):
    from harness.history import History
    from harness.nightly.cli import _baseline

    packs = [make_pack(f"step-{s}", {"kb": [[1.0, 0.0]] * 4}) for s in (1, 2, 3)]
    with History.open(tmp_path / "h.sqlite") as h:
        ids = [h.add(packs[0]), h.add_failed("crashed", "boom", suite="synthetic"), h.add(packs[1]), h.add(packs[2])]
        tonight = h.entry(ids[3])
        assert _baseline(h, "last", tonight) == packs[1].resolve()  # the failed night in between is passed over
        assert _baseline(h, "last", h.entry(ids[0])) is None  # the first night has none
        assert _baseline(h, ids[0], tonight) == packs[0].resolve()  # pinned by entry id
        assert _baseline(h, str(packs[0]), tonight) == packs[0]  # pinned by pack directory
        with pytest.raises(ConfigError, match="neither a pack directory nor an entry") as err:
            _baseline(h, "nope", tonight)
        assert err.value.field == "nightly.baseline"


def test_a_failed_nights_pack_is_set_aside_only_when_its_checkpoint_changed_since(tmp_path):
    from harness.nightly.checkpoints import changed_since, set_aside

    ckpt, pack = tmp_path / "step-5", tmp_path / "results" / "sample-step-5-abc"
    ckpt.mkdir()
    (ckpt / "model.safetensors").write_bytes(b"partial")
    os.utime(ckpt / "model.safetensors", (1_000_000, 1_000_000))
    pack.mkdir(parents=True)
    (pack / "model.json").write_text("{}\n")
    os.utime(pack / "model.json", (2_000_000, 2_000_000))
    assert not changed_since(pack, ckpt)
    (ckpt / "model.safetensors").write_bytes(b"complete now")  # written after the pack hashed it
    assert changed_since(pack, ckpt)
    moved = set_aside(pack)
    assert not pack.exists() and moved.parent == pack.parent and moved.name.startswith("sample-step-5-abc.stale-")
    assert (moved / "model.json").read_text() == "{}\n"  # moved, not deleted
