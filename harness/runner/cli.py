"""`harness run [overrides…]`: Hydra's command line (overrides, --multirun, launchers) over run_job."""

from __future__ import annotations

import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from harness.errors import HarnessError
from harness.paths import CONFIG_DIR


@hydra.main(config_path=str(CONFIG_DIR), config_name="run", version_base="1.3")
def _hydra_entry(cfg: DictConfig) -> None:
    from harness.config.spec import build_run_spec
    from harness.report.table import print_summary
    from harness.runner.job import run_job

    try:
        spec = build_run_spec(cfg, dict(HydraConfig.get().runtime.choices))
        summary = run_job(spec)
    except HarnessError as err:
        print(f"harness run: error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    print_summary(summary)
    print(f"evidence pack: {spec.out_dir}")


def main(argv: list[str]) -> int:
    if not any(a in ("-m", "--multirun") or a.startswith("-") for a in argv):
        # Compose once up front: Hydra's own errors (an unknown suite=…) exit 1 inside hydra.main; ours exit 2.
        from harness.config.compose import compose

        compose("run", argv)
    sys.argv = ["harness run", *argv]
    try:
        _hydra_entry()
    except SystemExit as done:  # hydra.main exits; the dispatcher wants a code
        return int(done.code or 0)
    return 0
