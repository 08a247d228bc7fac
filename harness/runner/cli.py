"""`harness run [overrides…]`: one job, or a Hydra sweep (`-m`) of jobs, each behind the same error boundary.

A single run composes its config with Hydra's compose API and runs in this process. A sweep goes through
`hydra.main` so launchers (`hydra/launcher=submitit_slurm`, …) work; each job writes its fate (exit code,
message, pack) into its sweep directory, and this process reads them back to report every job at the end and
exit as a single run would (2 for bad input, 1 for a failure, 0 when every job finished).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from harness.errors import ConfigError, HarnessError
from harness.paths import CONFIG_DIR

FATE_FILE = "harness-job.json"
STOP_FILE = ".harness-stop"
_HYDRA_FLAGS = ("--cfg", "-c", "--info", "-i", "--hydra-help", "--resolve", "--package", "-p", "--shell-completion", "-sc")


@dataclass
class Fate:
    code: int  # 0 finished, 1 failed, 2 bad input
    message: str
    pack: str | None = None
    overrides: list[str] | None = None


def run_one(cfg: DictConfig, choices: dict[str, str], *, verbose: bool = False, say_table: bool = True) -> Fate:
    """Build the spec, run the job behind the error boundary; never raises except on Ctrl-C."""
    from harness.config.spec import build_run_spec
    from harness.console.capture import Capture, quiet_libraries
    from harness.console.crash import crash_paragraph
    from harness.runner.job import run_job

    try:
        spec = build_run_spec(cfg, choices)
    except HarnessError as err:
        print(f"harness run: error: {err}", file=sys.stderr)
        return Fate(err.exit_code, str(err))
    quiet_libraries()
    with Capture("run", verbose=verbose) as ui:
        ui.say(f"harness run: suite {spec.suite} × {spec.repeats} runs on {spec.model.name} ({spec.model.engine}) → {spec.out_dir}")
        try:
            summary = run_job(spec, ui)
        except HarnessError as err:
            ui.write_log(f"harness run: error: {err}")
            ui.err.print(f"harness run: error: {err}", markup=False, highlight=False)
            return Fate(err.exit_code, str(err), str(spec.out_dir))
        except Exception as err:  # not bad input: one paragraph here, the traceback in the log
            paragraph = crash_paragraph("run", err, ui.log_path)
            ui.err.print(paragraph, markup=False, highlight=False)
            return Fate(1, paragraph, str(spec.out_dir))
        if "part" in summary:  # a shard: its part is done; the pack once the last part merged it
            pack = summary["pack"] or summary["part_dir"]
            ui.out.print(f"{'evidence pack' if summary['pack'] else 'part'}: {pack}", markup=False, highlight=False)
            return Fate(0, "finished", pack)
        if say_table:
            from harness.console.table import print_summary

            print_summary(summary, ui.out)
            ui.out.print(f"evidence pack: {spec.out_dir}", markup=False, highlight=False)
    return Fate(0, "finished", str(spec.out_dir))


# -- sweeps ---------------------------------------------------------------------------------------------
def _sweep_job(cfg: DictConfig) -> None:
    """The task function of every job of a sweep (possibly in another process or on another node)."""
    from hydra.core.hydra_config import HydraConfig

    from harness.config.compose import compose

    hc = HydraConfig.get()
    job_dir = Path(hc.runtime.output_dir)
    sweep_dir = Path(hc.sweep.dir)
    opts = dict(cfg.get("cli") or {})
    # The job's own overrides, composed as a single run composes them (suite sections included); console
    # switches (+cli.*) are not part of the job's config, nor of its run id.
    overrides = [o for o in hc.overrides.task if not o.startswith(("+cli.", "+benchmark@suite.benchmarks."))]
    cfg = compose("run", [o for o in hc.overrides.task if not o.startswith("+cli.")], return_hydra_config=True)
    print(f"job {hc.job.num}: {' '.join(overrides) or '(defaults)'}", file=sys.stderr, flush=True)
    if (sweep_dir / STOP_FILE).exists():
        fate = Fate(3, "skipped: an earlier job failed and --fail-fast was given", None, overrides)
    else:
        fate = run_one(cfg, dict(cfg.hydra.runtime.choices), verbose=bool(opts.get("verbose")))
        fate.overrides = overrides
        if fate.code and opts.get("fail_fast"):
            (sweep_dir / STOP_FILE).write_text(f"job {hc.job.num} failed\n")
    job_dir.mkdir(parents=True, exist_ok=True)
    (job_dir / FATE_FILE).write_text(json.dumps({"num": int(hc.job.num), **asdict(fate)}, ensure_ascii=False) + "\n")


def _validate_sweep(argv: list[str]) -> int:
    """Compose every job of the sweep before any runs: Hydra's own errors are bad input (exit 2), as in a
    single run, instead of a crash of the sweeper halfway through."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from harness.config.compose import compose

    try:
        parsed = OverridesParser.create().parse_overrides([a for a in argv if not a.startswith("hydra.")])
    except Exception as err:
        raise ConfigError(f"cannot parse the overrides: {err}", file="command line") from None
    jobs = [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    for i, job in enumerate(jobs):
        try:
            compose("run", job)
        except ConfigError as err:
            raise ConfigError(f"sweep job {i} ({' '.join(job)}): {err.message}", file=err.file, field=err.field) from None
    return len(jobs)


def _sweep(argv: list[str], verbose: bool, fail_fast: bool) -> int:
    import hydra

    from harness.config.compose import section_overrides

    argv = [a for a in argv if a not in ("-m", "--multirun")]
    n_jobs = _validate_sweep(argv)
    if not any(a.split("=", 1)[0] == "suite" and "," in a for a in argv):
        # One suite for every job: its sections' benchmarks join Hydra's own composition of each job too.
        argv += section_overrides([a for a in argv if not a.startswith("hydra.")])
    sweep_dir = next((a.split("=", 1)[1] for a in argv if a.startswith("hydra.sweep.dir=")), None)
    if sweep_dir is None:
        sweep_dir = f"multirun/{time.strftime('%Y-%m-%d_%H-%M-%S')}"
        argv.append(f"hydra.sweep.dir={sweep_dir}")
    argv += [f"+cli.verbose={str(verbose).lower()}", f"+cli.fail_fast={str(fail_fast).lower()}"]
    print(f"harness run: sweep of {n_jobs} job(s); job records under {sweep_dir}", file=sys.stderr)
    entry = hydra.main(config_path=str(CONFIG_DIR), config_name="run", version_base="1.3")(_sweep_job)
    sys.argv = ["harness run", "--multirun", *argv]
    try:
        entry()
    except SystemExit as done:  # hydra.main exits on its own errors
        if done.code:
            return int(done.code)
    return _report_sweep(Path(sweep_dir), n_jobs)


def _report_sweep(sweep_dir: Path, n_jobs: int) -> int:
    fates = {}
    for path in sweep_dir.glob(f"*/{FATE_FILE}"):
        doc = json.loads(path.read_text())
        fates[int(doc["num"])] = doc
    print(f"\nsweep: {n_jobs} job(s)", file=sys.stderr)
    codes = []
    for num in range(n_jobs):
        doc = fates.get(num)
        if doc is None:
            codes.append(1)
            print(f"  job {num}: no record of its end (killed, or its launcher failed): see {sweep_dir}", file=sys.stderr)
            continue
        codes.append(int(doc["code"]))
        state = {0: "finished", 1: "FAILED", 2: "BAD INPUT", 3: "skipped"}.get(int(doc["code"]), f"exit {doc['code']}")
        detail = f" → {doc['pack']}" if doc["code"] == 0 else f": {doc['message']}"
        print(f"  job {num} [{' '.join(doc.get('overrides') or [])}]: {state}{detail}", file=sys.stderr)
    worst = [c for c in codes if c in (1, 2)]
    return max(worst) if worst else 0


# -- entry ----------------------------------------------------------------------------------------------
def main(argv: list[str]) -> int:
    from harness.config.compose import compose

    verbose = any(a in ("-v", "--verbose") for a in argv)
    fail_fast = "--fail-fast" in argv
    argv = [a for a in argv if a not in ("-v", "--verbose", "--fail-fast")]
    if any(a.split("=", 1)[0] in _HYDRA_FLAGS for a in argv):  # --cfg job, --info …: Hydra's own answers
        import hydra

        from harness.config.compose import section_overrides

        sys.argv = ["harness run", *section_overrides([a for a in argv if not a.startswith("-")]), *argv]
        try:
            hydra.main(config_path=str(CONFIG_DIR), config_name="run", version_base="1.3")(lambda cfg: None)()
        except SystemExit as done:
            return int(done.code or 0)
        return 0
    if any(a in ("-m", "--multirun") for a in argv):
        return _sweep(argv, verbose, fail_fast)
    cfg: Any = compose("run", argv, return_hydra_config=True)
    choices = dict(cfg.hydra.runtime.choices)
    return run_one(cfg, choices, verbose=verbose).code
