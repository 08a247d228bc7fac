"""Every config group refuses a key it does not know: exit 2 before any model loads, naming file and key."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.paths import CONFIG_DIR

TEAMS = CONFIG_DIR / "scoring" / "examples" / "phase1-teams.yaml"


@pytest.mark.parametrize("command, args, file, key", [
    ("run", ["model=tiny", "+suite.target_modle=X"], "suite/sample.yaml", "suite.target_modle"),
    ("run", ["model=tiny", "+suite.benchmarks.haerae.num_fewshots=5"], "benchmark/haerae.yaml", "suite.benchmarks.haerae.num_fewshots"),
    ("run", ["model=tiny", "+suite.benchmarks.hrm8k_ksm.generation.max_token=5"], "benchmark/hrm8k_ksm.yaml", "suite.benchmarks.hrm8k_ksm.generation.max_token"),
    ("run", ["model=tiny", "+model.tensor_parallel=2"], "model/tiny.yaml", "model.tensor_parallel"),
    ("run", ["model=hf", "model.path=/m", "+model.batch_invariant=true"], "model/hf.yaml", "model.batch_invariant"),
    ("run", ["model=tiny", "+run.repeat=3"], "run/default.yaml", "run.repeat"),
    ("run", ["model=tiny", "+run.generation.temprature=0.5"], "run/default.yaml", "run.generation.temprature"),
    ("run", ["model=tiny", "+data.mirror=/x"], "data/default.yaml", "data.mirror"),
    ("run", ["model=tiny", "judge=tiny_hf", "+judge.model.device=cpu"], "judge/tiny_hf.yaml", "judge.model.device"),
    ("score", [str(TEAMS), "+scoring.expert.trimmed=total"], "scoring/phase1.yaml", "scoring.expert.trimmed"),
    ("lineage", ["/a", "/b", "+lineage.margins.ckaa=0.5"], "lineage/default.yaml", "lineage.margins.ckaa"),
])
def test_an_unknown_key_is_exit_2_naming_file_and_key(capsys, command, args, file, key):
    assert main([command, *args]) == 2
    err = capsys.readouterr().err
    assert f"field {key}:" in err and str(CONFIG_DIR / file) in err, err
    assert "unknown key" in err or "batch_invariant" in err


def test_verify_refuses_an_unknown_key(tmp_path, capsys):
    assert main(["verify", str(tmp_path), "verify.seed=1", "+verify.fracton=0.5"]) == 2
    err = capsys.readouterr().err
    assert "field verify.fracton:" in err and str(CONFIG_DIR / "verify" / "default.yaml") in err


def test_verify_names_a_missing_seed(tmp_path, capsys):
    assert main(["verify", str(tmp_path)]) == 2
    assert "verify.seed" in capsys.readouterr().err
