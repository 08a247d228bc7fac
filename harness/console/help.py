"""`harness <command> --help`: the command's own groups, options and keys (read from configs/, so a new suite
or model config shows up without editing this file), its flags, exit codes and an example."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.paths import CONFIG_DIR


@dataclass(frozen=True)
class CommandHelp:
    summary: str
    usage: str
    config: str  # the primary config under configs/
    groups: tuple[str, ...] = ()  # config groups this command takes (group=option)
    flags: tuple[tuple[str, str], ...] = ()
    exit_codes: tuple[tuple[int, str], ...] = ()
    examples: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    details: str | None = None  # "module:NAME" of a command's own longer text, printed after the summary


COMMANDS: dict[str, CommandHelp] = {
    "run": CommandHelp(
        summary="Run every benchmark of a suite N times (each run with its own seeds) and leave an evidence pack.",
        usage="harness run [group=option …] [key=value …] [-m] [-v] [--fail-fast]",
        config="run",
        groups=("suite", "model", "run", "data", "judge"),
        flags=(("-m, --multirun", "a Hydra sweep: comma-separated values run one job each (model.path=/a,/b)"),
               ("-v, --verbose", "show engine and library logs here (otherwise in PACK/logs/)"),
               ("--fail-fast", "in a sweep, skip the remaining jobs after one fails (default: go on)"),
               ("--cfg job", "print the resolved config and exit")),
        exit_codes=((0, "the pack is complete"), (1, "the job failed (the paragraph says why; traceback in the log)"),
                    (2, "bad input: a config, model path, dataset or pack, named with file and field")),
        examples=("harness run suite=sample model=default",
                  "harness run suite=global_common model=vllm model.path=/ckpt/k-model model.engine_args.tensor_parallel_size=8",
                  "harness run suite=nia model=tiny +suite.only=[kmmlu] run.repeats=5 out=results/smoke",
                  "harness run -m suite=global_common model=vllm model.path=/ckpt/k run.shard=1/4,2/4,3/4,4/4 hydra/launcher=slurm"),
    ),
    "verify": CommandHelp(
        summary="Re-run a random subset of an evidence pack with its recorded seeds and give a PASS/FAIL verdict.",
        usage="harness verify PACK verify.seed=N [verify.fraction=0.05 | verify.samples=N] [model.path=DIR] [key=value …]",
        config="verify",
        exit_codes=((0, "PASS"), (1, "FAIL (the verdict inside PACK/verification/ explains every divergence)"),
                    (2, "bad input (pack, settings, model path)")),
        examples=("harness verify results/sample-gemma3-270m-1a2b3c4d verify.seed=20260110 verify.fraction=0.05",),
    ),
    "score": CommandHelp(
        summary="Turn verified suite results and expert and user ratings into the phase evaluation's 100-point table.",
        usage="harness score TEAMS.yaml [scoring.key=value …]",
        config="score",
        groups=("scoring",),
        exit_codes=((0, "the table was written"), (2, "bad input: a teams file, score sheet, pack or verdict")),
        examples=("harness score configs/scoring/examples/phase1-teams.yaml scoring=phase1-example",),
        notes=("Outputs go next to the teams file (TEAMS-scores/) unless scoring.out=DIR is given.",
               "A pack counts only through a PASS verdict for its current manifest, signed by a key in scoring.accepted_keys "
               "(phase1-example accepts the key of the shipped example).",),
    ),
    "lineage": CommandHelp(
        summary="Test from the weights whether a component of a checkpoint was derived from a reference model.",
        usage="harness lineage CANDIDATE REFERENCE [REFERENCE …] [lineage.key=value …]\n"
              "       harness lineage sketch CHECKPOINT lineage.out=DIR",
        config="lineage",
        groups=("lineage",),
        examples=("harness lineage /ckpt/candidate /refs/open-model",),
        details="harness.lineage.cli:USAGE",
    ),
    "keys": CommandHelp(
        summary="Make a verifier's Ed25519 key pair: the private key signs `harness verify`'s verdicts, the public key "
                "goes into the scoring config's accepted_keys.",
        usage="harness keys new [DIR] [name=NAME]",
        config="",
        exit_codes=((0, "the key pair was written"), (2, "bad usage, or a key file of that name exists (never overwritten)")),
        examples=("harness keys new ~/.config/harness/keys name=tta-2026",),
    ),
    "receipt": CommandHelp(
        summary="Print a pack's submission receipt (run id, manifest sha256, model hashes) as JSON, to hand over with "
                "the scores; `harness score` checks the pack against it (teams.yaml: packs: [{path: …, receipt: …}]).",
        usage="harness receipt PACK",
        config="",
        exit_codes=((0, "printed"), (2, "not a finished evidence pack")),
        examples=("harness receipt results/nia-team-a > nia-team-a.receipt.json",),
    ),
    "report": CommandHelp(
        summary="Write a static site that opens from disk: a page per pack (scores with error bars, variance split, "
                "verdicts, manifest, a per-sample browser with filters), the packs' comparison, the leaderboard from "
                "`harness score`, the nightly trend from a history; and summary.md with the same figures.",
        usage="harness report PACK… [out=DIR] [scores=DIR] [trend=true history.location=PATH_OR_URL] [key=value …]",
        config="report",
        groups=("history",),
        exit_codes=((0, "written; the path of index.html is printed"),
                    (2, "bad input (a pack, score table or history, named with file and field), or an output directory "
                        "holding files the report did not write")),
        examples=("harness report results/sample-gemma3-270m-9be43734",
                  "harness report results/ckpt-100 results/ckpt-200 out=results/reports/ckpt-200",
                  "harness report scores=configs/scoring/examples/phase1-example-scores",
                  "harness report trend=true history.location=results/history.sqlite suite=nia"),
    ),
    "history": CommandHelp(
        summary="Keep evidence packs in a history (SQLite under results/ by default, a server database by URL): each pack's "
                "setup, benchmark scores and per-sample metrics, for trends and nightly baselines.",
        usage="harness history add PACK [PACK …] | list [SUITE] | show ENTRY   [history.location=PATH_OR_URL]",
        config="history",
        groups=("history",),
        exit_codes=((0, "done (a pack already there is not added twice)"),
                    (2, "bad input: not a finished pack, a pack whose manifest changed since it was added, an unknown entry")),
        examples=("harness history add results/sample-tiny-4e350dff", "harness history list",
                  "harness history show 09bd19e5b061 history.location=postgresql://eval@db/history"),
    ),
    "nightly": CommandHelp(
        summary="Run the suite on the newest checkpoint (resuming a night that stopped midway), add the pack to the history, "
                "compare it with the baseline (last night, or a pinned entry) and exit 1 on a regression: for cron, systemd "
                "timers, Slurm's scrontab or a CI scheduler (docs/nightly.md).",
        usage="harness nightly nightly.checkpoints=DIR_OR_LIST [nightly.baseline=last|ENTRY|PACK] [history.location=…] "
              "[harness run overrides: suite=… model=… …]",
        config="nightly",
        groups=("history",),
        flags=(("-v, --verbose", "show engine and library logs here (otherwise in PACK/logs/)"),),
        exit_codes=((0, "nothing regressed (or no baseline yet)"), (1, "a benchmark regressed (drop > threshold and p < 0.05)"),
                    (2, "bad input: settings, or a baseline run differently"),
                    (3, "tonight's run failed: recorded in the history as failed with the reason; the next night resumes it")),
        examples=("harness nightly nightly.checkpoints=/ckpt/k-model suite=global_common model=vllm",
                  "harness nightly nightly.checkpoints=[/ckpt/a,/ckpt/b] nightly.baseline=3f2a9c1e0b7d suite=nia model=vllm"),
        notes=("Every override that is not nightly.* or history.* goes to the run, as in `harness run`; model.path is "
               "tonight's checkpoint. run.repeats defaults to five runs.",),
    ),
    "compare": CommandHelp(
        summary="Compare two evidence packs (B against the baseline A) per benchmark: the paired difference over the items "
                "both scored, its 95% CI clustered by item over the runs, a paired t-test, and improved / unchanged / regressed.",
        usage="harness compare A B [compare.threshold=POINTS] [compare.allow_differences=true] [compare.out=FILE]",
        config="compare",
        groups=("history",),
        exit_codes=((0, "nothing regressed"), (1, "a benchmark regressed (drop > threshold and p < 0.05)"),
                    (2, "bad input: not a pack, or packs whose datasets, prompts or generation settings differ (each listed)")),
        examples=("harness compare results/night-41 results/night-42",
                  "harness compare 3f2a9c1e0b7d results/night-42 compare.threshold=2 compare.out=compare.json"),
        notes=("A and B are pack directories or entry ids of the history (`harness history list`).",),
    ),
    "merge": CommandHelp(
        summary="Join the parts of a sharded job (`harness run … run.shard=K/N`) into one evidence pack, after checking "
                "that they come from one config, model and data revision and hold every sample-run once (docs/cluster.md).",
        usage="harness merge PART_DIR… [out=PACK]\n"
              "       harness merge results/<run_id>.parts [out=PACK]",
        config="",
        exit_codes=((0, "the pack was written, or is merged from these parts already"),
                    (2, "the parts do not make one pack (each refusal names the part), or out= holds files")),
        examples=("harness merge results/global_common-k-model-1a2b3c4d.parts",),
    ),
}


def _options(group: str) -> list[str]:
    d = CONFIG_DIR / group
    if not d.is_dir():
        return []
    names = sorted(p.relative_to(d).with_suffix("").as_posix() for p in d.rglob("*.yaml") if "examples" not in p.parts)
    return names


def _keys(node: Any, prefix: str, depth: int, out: list[tuple[str, str]]) -> None:
    from omegaconf import DictConfig, OmegaConf

    for key in node:
        path = f"{prefix}.{key}" if prefix else str(key)
        value = node._get_node(key)
        if isinstance(value, DictConfig) and depth > 0 and len(value) and key not in ("benchmarks", "engine_args", "env", "per_benchmark"):
            _keys(value, path, depth - 1, out)
            continue
        if isinstance(value, DictConfig):
            shown = "{…}"
        elif OmegaConf.is_missing(node, key):
            shown = "??? (required)"
        else:
            try:
                raw = OmegaConf.to_container(OmegaConf.create({"v": value}), resolve=False)["v"]
            except Exception:
                raw = str(value)
            shown = "null" if raw is None else str(raw).lower() if isinstance(raw, bool) else str(raw)
            if len(shown) > 60:
                shown = shown[:57] + "…"
        out.append((path, shown))


def render(command: str) -> str:
    from harness.config.compose import compose

    h = COMMANDS[command]
    lines = [f"harness {command}: {h.summary}", "", f"usage: {h.usage}", ""]
    if h.details:
        import importlib

        module, name = h.details.split(":")
        text = getattr(importlib.import_module(module), name)
        body = text.split("\n\n", 1)[1] if "\n\n" in text else text  # its own usage lines are above already
        lines += [body, ""]
    if h.groups:
        lines.append("config groups (group=option):")
        for g in h.groups:
            opts = _options(g)
            lines.append(f"  {g:<8} {', '.join(opts) if opts else '(see configs/' + g + ')'}")
        lines.append("")
    if h.config:  # commands without settings (keys, receipt) list none
        keys: list[tuple[str, str]] = []
        _keys(compose(h.config, []), "", 2, keys)
        lines.append("keys (key=value; the defaults shown; `+key=value` adds a key the config lacks):")
        width = min(max(len(k) for k, _ in keys), 44)
        lines += [f"  {k:<{width}} {v}" for k, v in keys]
        lines.append("")
    if h.flags:
        lines.append("flags:")
        lines += [f"  {f:<16} {d}" for f, d in h.flags]
        lines.append("")
    if h.exit_codes:
        lines.append("exit codes: " + "; ".join(f"{c} {d}" for c, d in h.exit_codes))
        lines.append("")
    lines += list(h.notes) + ([""] if h.notes else [])
    lines.append("example" + ("s" if len(h.examples) > 1 else "") + ":")
    lines += [f"  {e}" for e in h.examples]
    return "\n".join(lines)
