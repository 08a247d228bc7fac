"""`harness <command> --help`: exit 0, only the command's own groups and keys, and an example."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.config.compose import compose
from harness.console.help import COMMANDS, render
from harness.paths import REPO_ROOT


def _help(*args):
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_exits_0_with_usage_keys_and_an_example(command):
    res = _help(command, "--help")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"harness {command}:")
    assert f"usage: harness {command}" in res.stdout and "example" in res.stdout
    cfg = compose(COMMANDS[command].config, []) if COMMANDS[command].config else {}  # keys, receipt: no settings
    for top in cfg:  # every top-level key of the command's config is listed
        assert f"\n  {top}" in res.stdout, top


def test_run_help_lists_only_the_groups_run_takes():
    text = render("run")
    groups = text.split("config groups")[1].split("keys")[0]
    for g in ("suite", "model", "run", "data", "judge"):
        assert f"\n  {g} " in groups
    for other in ("scoring", "verify", "lineage"):
        assert other not in groups
    assert "global_common" in groups and "tiny" in groups  # options come from configs/


def test_score_help_is_not_read_as_a_file():
    res = _help("score", "--help")
    assert res.returncode == 0 and "not found" not in res.stderr
