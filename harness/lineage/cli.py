"""`harness lineage`: was a component of this checkpoint derived from a reference?"""

from __future__ import annotations

from pathlib import Path

from harness.config.compose import validated
from harness.errors import ConfigError

USAGE = """usage: harness lineage <candidate> <reference> [<reference>…] [lineage.key=value …]
       harness lineage sketch <checkpoint> lineage.out=<dir> [lineage.revision=<rev>]

Tests, per component (language_model, embeddings, vision_encoder, audio_encoder), the null hypothesis
"initialised independently of the reference". References are checkpoints (safetensors, sharded or not)
or sketches. Method and limits: docs/lineage.md.

exit codes:
  0  no evidence      no component derived, every component tested
  1  derived          a component was derived (corrected p < lineage.alpha)
  2  error            bad input (missing checkpoint, unreadable file, bad setting)
  3  inconclusive     weak evidence (corrected p < lineage.inconclusive_alpha)
  4  not testable     a component follows no known layout, or no test applies to it

settings (configs/lineage/default.yaml): alpha, inconclusive_alpha, components, out, revision,
  activations (auto|always|never), probe_texts, n_perm, margins.*, sketch.*"""


def main(argv: list[str]) -> int:
    if not argv or any(a in ("-h", "--help", "help") for a in argv):
        print(USAGE)
        return 0
    positional = [a for a in argv if "=" not in a]
    from harness.config.schema import LineageCfg
    from harness.paths import CONFIG_DIR

    cfg = validated("lineage", [a for a in argv if "=" in a], LineageCfg, {"lineage": str(CONFIG_DIR / "lineage" / "default.yaml")})["lineage"]
    from harness.lineage.features import Settings

    settings = Settings(**cfg["sketch"])
    if positional[:1] == ["sketch"]:
        if len(positional) != 2 or not cfg["out"]:
            raise ConfigError(USAGE, field="lineage.out")
        from harness.lineage.checkpoint import Checkpoint
        from harness.lineage.summary import save_sketch, summarise

        out = save_sketch(summarise(Checkpoint.open(positional[1], "checkpoint"), settings, revision=cfg.get("revision")), cfg["out"])
        print(f"sketch written: {out}")
        return 0
    if len(positional) < 2:
        raise ConfigError(USAGE, field="references")
    from harness.lineage.run import run

    report = run(positional[0], positional[1:], cfg, settings)
    from harness.lineage.report import default_stem, write

    js, md = write(report, Path(cfg["out"]) if cfg["out"] else default_stem(positional[0]))
    for c in report["components"]:
        p = "–" if c["p_value"] is None else f"{c['p_value']:.3g}"
        print(f"{c['name']:<16} vs {c['reference']}: {c['verdict']:<13} p={p} layers={c['layers']}")
    print(f"{report['verdict'].upper()} — report: {js} (and {md.name})")
    from harness.lineage.decide import EXIT_CODES

    return EXIT_CODES[report["verdict"]]
