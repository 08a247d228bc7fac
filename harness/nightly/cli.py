"""`harness nightly`: tonight's checkpoint through the suite, into the history, against the baseline.

1. the newest checkpoint (nightly.checkpoints) becomes model.path of a `harness run` composed from every
   override that is not nightly.* or history.* (suite=…, model=…, run.repeats=…);
2. the run goes into its usual pack, results/<run id>: the same checkpoint and settings name the same pack,
   so a night stopped midway resumes where it stopped, and a finished one is not run again;
3. the finished pack is added to the history (a second night on the same checkpoint adds nothing); a run
   that fails (a crashed checkpoint) is recorded as failed with its reason;
4. the pack is compared with the baseline (the last finished night of the suite, or nightly.baseline), the
   comparison written to <nightly.out>/<run id>/compare.json, then the report page.

Exit codes: 0 nothing regressed (or no baseline yet), 1 a benchmark regressed, 2 bad input (settings, a
baseline that is not comparable), 3 tonight's run failed (recorded in the history with the reason).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.compare.cli import HistorySettings, format_comparison, write_comparison
from harness.errors import ConfigError, RecordError
from harness.paths import CONFIG_DIR

RUN_FAILED = 3
_OWN = ("nightly.", "history.")


class NightlySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checkpoints: str | list[str]
    baseline: str = "last"
    threshold: float = Field(1.0, ge=0)
    allow_differences: bool = False
    out: str = "results/nightly"


class NightlyCfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nightly: NightlySettings
    history: HistorySettings = Field(default_factory=HistorySettings)


def write_report(night_dir: Path, history_location: str, compare_json: Path | None, pack: Path | None,
                 threshold: float = 1.0) -> Path | None:
    """The night's report page: tonight's pack (beside its baseline, compared, when there is one) and the trend
    of every benchmark over the nights in the history. A failed night without a pack still gets the trend. The
    report never decides the exit code: a page that cannot be written is said, and the night's verdict stands."""
    from harness.errors import HarnessError
    from harness.report import build

    packs: list[Path] = []
    if compare_json is not None and compare_json.is_file():
        doc = json.loads(compare_json.read_text())
        packs = [Path(doc["a"]), Path(doc["b"])]
    elif pack is not None and (pack / "summary.json").is_file():
        packs = [pack]
    try:
        site = build(packs, night_dir / "report", history=history_location, threshold=threshold)
    except HarnessError as err:
        _say(f"no report page: {err}")
        return None
    _say(f"report: {site.index}")
    return site.index


def _say(text: str) -> None:
    print(f"harness nightly: {text}", file=sys.stderr, flush=True)


def _baseline(history: Any, setting: str, tonight: dict[str, Any]) -> Path | None:
    if setting == "last":
        earlier = [e for e in history.entries(tonight["suite"]) if e["status"] == "ok" and e["added_at"] < tonight["added_at"]]
        return Path(earlier[-1]["pack"]) if earlier else None
    if Path(setting).is_dir():
        return Path(setting)
    pack = history.pack_of(setting)
    if pack is None:
        raise ConfigError(f"baseline {setting!r} is neither a pack directory nor an entry of the history {history.location}",
                          file=CONFIG_DIR / "nightly.yaml", field="nightly.baseline")
    return Path(pack)


def main(argv: list[str]) -> int:
    from harness.config.compose import compose, validated
    from harness.config.spec import build_run_spec
    from harness.nightly.checkpoints import newest_checkpoint

    verbose = any(a in ("-v", "--verbose") for a in argv)
    argv = [a for a in argv if a not in ("-v", "--verbose")]
    stray = [a for a in argv if "=" not in a]
    if stray:
        raise ConfigError(f"unexpected argument(s) {stray}: harness nightly takes key=value overrides only", file="command line")
    own = [a for a in argv if a.lstrip("+~").startswith(_OWN)]
    cfg = validated("nightly", own, NightlyCfg)
    n, location = cfg["nightly"], cfg["history"]["location"]

    ckpt = newest_checkpoint(n["checkpoints"], file=str(CONFIG_DIR / "nightly.yaml"))
    _say(f"tonight's checkpoint: {ckpt}")
    run_cfg = compose("run", [a for a in argv if a not in own] + [f"model.path={ckpt}"], return_hydra_config=True)
    spec = build_run_spec(run_cfg, dict(run_cfg.hydra.runtime.choices))  # bad settings stop here, before anything is recorded
    night_dir = Path(n["out"]) / spec.run_id
    code, compare_json = _night(run_cfg, spec, ckpt, n, location, night_dir, verbose)
    write_report(night_dir, location, compare_json, spec.out_dir, n["threshold"])
    return code


def _night(run_cfg: Any, spec: Any, ckpt: Path, n: dict[str, Any], location: str, night_dir: Path, verbose: bool) -> tuple[int, Path | None]:
    """Run (or find) tonight's pack, add it to the history, compare it: (exit code, compare.json or None)."""
    from harness.compare import compare_packs
    from harness.config.spec import config_hash
    from harness.history import History
    from harness.nightly.checkpoints import changed_since, set_aside
    from harness.runner.cli import run_one

    with History.open(location) as history:
        entry = history.entry(spec.run_id)
        if entry is not None and entry["status"] == "ok":
            _say(f"{spec.run_id} is in the history already (entry {entry['entry_id']}): not run again")
        else:
            if entry is not None and spec.out_dir.is_dir() and changed_since(spec.out_dir, ckpt):
                _say(f"{ckpt} changed since the night that failed on it: its pack moved aside to {set_aside(spec.out_dir)}")
            fate = run_one(run_cfg, dict(run_cfg.hydra.runtime.choices), verbose=verbose)
            if fate.code != 0:
                entry_id = history.add_failed(spec.run_id, fate.message, pack=spec.out_dir if spec.out_dir.exists() else None,
                                              suite=spec.suite, model=spec.model.name, checkpoint=str(ckpt), config_hash=config_hash(spec.config))
                _say(f"the run on {ckpt} failed; recorded in the history as entry {entry_id} (status failed). "
                     "The next `harness nightly` resumes it")
                return RUN_FAILED, None
            entry_id = history.add(spec.out_dir, checkpoint=str(ckpt))
            _say(f"added {spec.out_dir} to the history as entry {entry_id}")
            entry = history.entry(entry_id)
        baseline = _baseline(history, n["baseline"], entry)

    if baseline is None:
        _say("no earlier night of this suite in the history: nothing to compare with yet")
        return 0, None
    if baseline.resolve() == Path(entry["pack"]).resolve():
        _say(f"the baseline is tonight's own pack ({baseline}): nothing to compare")
        return 0, None
    try:
        comparison = compare_packs(baseline, Path(entry["pack"]), threshold=n["threshold"], allow_differences=n["allow_differences"])
    except RecordError as err:
        raise RecordError(f"tonight's pack cannot be compared with the baseline {baseline}: {err.message}", file=err.file,
                          field=err.field) from None
    compare_json = night_dir / "compare.json"
    write_comparison(compare_json, comparison.to_dict())
    print(format_comparison(comparison))
    _say(f"comparison: {compare_json}")
    if comparison.regressed:
        _say(f"REGRESSED against {baseline}: {', '.join(comparison.regressed)}")
        return 1, compare_json
    return 0, compare_json
