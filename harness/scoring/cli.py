"""`harness score <teams.yaml> [overrides…]`: the phase evaluation's table from results and ratings."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from harness.config.compose import compose
from harness.errors import ConfigError
from harness.scoring.compute import score_all
from harness.scoring.inputs import load_teams_file
from harness.scoring.output import print_table, write_outputs

USAGE = "usage: harness score <teams.yaml> [scoring.require_verified=false] [scoring.out=DIR]"


def main(argv: list[str]) -> int:
    positional = [a for a in argv if "=" not in a]
    if len(positional) != 1:
        raise ConfigError(USAGE)
    teams_path = Path(positional[0]).resolve()
    if not teams_path.is_file():
        raise ConfigError("teams file not found", file=teams_path)
    cfg = OmegaConf.to_container(compose("score", [a for a in argv if "=" in a]).scoring, resolve=True)
    teams = load_teams_file(teams_path)
    results = score_all(teams, teams_path, cfg)  # every check happens here: nothing is written before
    # Next to its input (or scoring.out), never into whatever directory the command was started from.
    out = Path(cfg["out"]).resolve() if cfg["out"] else teams_path.parent / f"{teams_path.stem}-scores"
    paths = write_outputs(results, cfg, out, {"teams_file": str(teams_path), "experts": teams.experts, "users": teams.users})
    print_table(results, cfg)
    print("written: " + ", ".join(str(p) for p in paths))
    return 0
