"""`harness score <teams.yaml> [overrides…]`: the phase evaluation's table from results and ratings."""

from __future__ import annotations

from pathlib import Path

from harness.config.catalog import benchmarks_in_section
from harness.config.compose import validated
from harness.config.schema import ScoreCfg
from harness.paths import CONFIG_DIR
from harness.errors import ConfigError
from harness.points.compute import score_all
from harness.points.gather import gather
from harness.points.inputs import load_teams_file
from harness.points.output import check_ranges, print_table, write_outputs

USAGE = "usage: harness score <teams.yaml> [scoring.require_verified=false] [scoring.out=DIR]"


def main(argv: list[str]) -> int:
    positional = [a for a in argv if "=" not in a]
    if len(positional) != 1:
        raise ConfigError(USAGE)
    teams_path = Path(positional[0]).resolve()
    if not teams_path.is_file():
        raise ConfigError("teams file not found", file=teams_path)
    overrides = [a for a in argv if "=" in a]
    scoring_file = _scoring_file(overrides)
    cfg = validated("score", overrides, ScoreCfg, {"scoring": str(scoring_file)})["scoring"]
    if cfg["global_common"]["benchmarks"] is None:  # the benchmark configs say which count for the section
        cfg["global_common"]["benchmarks"] = benchmarks_in_section("global_common")
    teams = load_teams_file(teams_path)
    inputs = gather(teams, teams_path, cfg, scoring_file)  # every input read and checked: nothing is written before
    results = score_all(inputs, teams_path, cfg)
    check_ranges(results)  # a bug, not an input, if this ever fires: exit 1 and nothing written
    # Next to its input (or scoring.out), never into whatever directory the command was started from.
    out = Path(cfg["out"]).resolve() if cfg["out"] else teams_path.parent / f"{teams_path.stem}-scores"
    paths = write_outputs(results, cfg, out, inputs)
    print_table(results, cfg, provisional=inputs.missing_sheets)
    print("written: " + ", ".join(str(p) for p in paths))
    return 0


def _scoring_file(overrides: list[str]) -> Path:
    choice = next((a.split("=", 1)[1] for a in reversed(overrides) if a.startswith("scoring=")), "phase1")
    return CONFIG_DIR / "scoring" / f"{choice}.yaml"
