"""A builder writes only into a directory it made itself; any other model.path is a checkpoint, never touched."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.errors import ConfigError
from harness.models.check import check_model_path
from harness.models.registry import BUILDERS, MARKER, builder_home, ensure_model
from harness.paths import REPO_ROOT


def _model(*overrides):
    return build_run_spec(compose("run", list(overrides))).model


def _user_dir(path):
    path.mkdir(parents=True)
    (path / "my-checkpoint-notes.txt").write_text("do not delete\n")
    (path / "config.json").write_text("{}\n")
    return {p.name: p.read_bytes() for p in path.iterdir()}


def _unchanged(path, before):
    return {p.name: p.read_bytes() for p in path.iterdir()} == before


@pytest.mark.parametrize("model_cfg, build", [("tiny", "tiny"), ("default", "gemma3_270m")])
def test_every_builder_leaves_an_existing_directory_alone(tmp_path, model_cfg, build):
    assert {build} <= set(BUILDERS)
    target = tmp_path / "ckpt"
    before = _user_dir(target)
    model = _model(f"model={model_cfg}", f"model.path={target}")
    assert model.build == build  # the config still names the builder…
    ensure_model(model)  # …but model.path is not its home: building is off
    assert _unchanged(target, before)
    with pytest.raises(ConfigError) as err:  # and the directory is then checked as a checkpoint
        check_model_path(model)
    assert err.value.field == "model.path"
    assert _unchanged(target, before)


def test_a_missing_path_is_not_built_into(tmp_path):
    target = tmp_path / "typo-in-the-checkpoint-path"
    model = _model("model=default", f"model.path={target}")
    ensure_model(model)
    assert not target.exists()  # a typo must not become a freshly built stand-in model
    with pytest.raises(ConfigError, match="does not exist"):
        check_model_path(model)


@pytest.mark.parametrize("build", sorted(BUILDERS))
def test_a_builders_home_holding_foreign_files_is_refused(tmp_path, monkeypatch, build):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    home = builder_home(build)
    before = _user_dir(home)
    model = replace(_model("model=tiny"), build=build, path=str(home))
    with pytest.raises(ConfigError, match="not built by the harness") as err:
        ensure_model(model)
    assert err.value.field == "model.path"
    assert _unchanged(home, before)


def test_the_home_is_built_once_and_marked(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    model = replace(_model("model=tiny"), path=str(builder_home("tiny")))
    ensure_model(model)
    home = builder_home("tiny")
    assert (home / MARKER).read_text().strip() == "tiny"
    check_model_path(model)
    stamp = (home / "model.safetensors").stat().st_mtime_ns
    ensure_model(model)  # marked: nothing rebuilt
    assert (home / "model.safetensors").stat().st_mtime_ns == stamp
    assert not [p for p in home.parent.iterdir() if "harness-build" in p.name]  # no temporary left behind


@pytest.mark.parametrize("model_arg", [[], ["model=tiny"], ["model=default"]])
def test_the_cluster_command_without_model_cannot_harm_a_directory(tmp_path, model_arg):
    """README: `harness run suite=global_common model.path=/ckpt/our-model`, with and without model=."""
    target = tmp_path / "our-model"
    before = _user_dir(target)
    res = subprocess.run([sys.executable, "-m", "harness.cli", "run", "suite=global_common", *model_arg, f"model.path={target}",
                          f"out={tmp_path / 'pack'}"], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert res.returncode == 2, res.stderr[-2000:]
    assert "model.path" in res.stderr
    assert _unchanged(target, before)
    assert not (tmp_path / "pack").exists()
