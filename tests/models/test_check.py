"""A model directory must hold a tokenizer that loads (and a chat template where a benchmark asks for one)
before any engine starts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.errors import ConfigError
from harness.models.check import check_model_path, check_tokenizer
from harness.paths import REPO_ROOT

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def _copy(src, dst, *, tokenizer=True):
    dst.mkdir()
    for p in src.iterdir():
        if p.is_file() and (tokenizer or p.name not in TOKENIZER_FILES):
            shutil.copy(p, dst / p.name)
    return dst


def _model(path, *extra):
    return build_run_spec(compose("run", ["model=vllm", f"model.path={path}", *extra])).model


def test_weights_without_a_tokenizer_are_refused(tmp_path, tiny_model_dir):
    bare = _copy(tiny_model_dir, tmp_path / "bare", tokenizer=False)
    model = _model(bare)
    check_model_path(model)  # config and weights are fine…
    with pytest.raises(ConfigError, match="no tokenizer") as err:
        check_tokenizer(model)
    assert err.value.field == "model.path"


def test_a_separate_tokenizer_directory_is_accepted(tmp_path, tiny_model_dir):
    bare = _copy(tiny_model_dir, tmp_path / "bare", tokenizer=False)
    check_tokenizer(_model(bare, f"model.tokenizer={tiny_model_dir}"), ["ifeval"])


def test_a_broken_tokenizer_is_refused(tmp_path, tiny_model_dir):
    broken = _copy(tiny_model_dir, tmp_path / "broken")
    (broken / "tokenizer.json").write_text('{"version": "1.0", "model": {"type": "BPE", "vocab": ')  # cut off
    with pytest.raises(ConfigError, match="does not load") as err:
        check_tokenizer(_model(broken))
    assert err.value.field == "model.path"


def test_a_chat_benchmark_needs_a_chat_template(tmp_path, tiny_model_dir):
    plain = _copy(tiny_model_dir, tmp_path / "plain")
    cfg = json.loads((plain / "tokenizer_config.json").read_text())
    cfg.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(cfg))
    for name in ("chat_template.jinja", "chat_template.json"):
        (plain / name).unlink(missing_ok=True)
    model = _model(plain)
    check_tokenizer(model)  # no benchmark asks for a template: fine
    with pytest.raises(ConfigError, match="no chat template.*ifeval") as err:
        check_tokenizer(model, ["ifeval"])
    assert "chat_template=false" in str(err.value)


def test_the_cli_stops_before_the_engine_and_writes_no_pack(tmp_path, tiny_model_dir):
    bare = _copy(tiny_model_dir, tmp_path / "bare", tokenizer=False)
    out = tmp_path / "pack"
    res = subprocess.run([sys.executable, "-m", "harness.cli", "run", "model=tiny", f"model.path={bare}", f"out={out}"],
                         capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert res.returncode == 2, res.stderr[-2000:]
    assert "no tokenizer" in res.stderr and "model.path" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()  # no half-made pack with "tokenizer": {}
