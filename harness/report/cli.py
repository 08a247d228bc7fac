"""`harness report PACK… [out=DIR] [scores=DIR] [trend=true history.location=…]`: write the report site and print its path."""

from __future__ import annotations

from pathlib import Path

from harness.errors import ConfigError
from harness.paths import CONFIG_DIR

USAGE = "usage: harness report PACK… [out=DIR] [scores=DIR] [trend=true history.location=PATH_OR_URL] [suite=NAME] [threshold=POINTS]"


def default_out(packs: list[Path]) -> Path:
    from harness.report.site import slug

    base = Path("results") / "reports"  # beside the packs, as `harness run` puts them (results_dir=results)
    if not packs:
        return base / "scores"
    name = packs[0].name if len(packs) == 1 else f"{packs[0].name}-vs-{len(packs) - 1}-more"
    return base / slug(name)


def main(argv: list[str]) -> int:
    from harness.config.compose import validated
    from harness.config.schema import ReportCfg
    from harness.report.site import build

    packs = [Path(a).resolve() for a in argv if "=" not in a and not a.startswith("-")]
    overrides = [a for a in argv if "=" in a]
    unknown = [a for a in argv if a.startswith("-")]
    if unknown:
        raise ConfigError(f"unknown flag {unknown[0]}; {USAGE}")
    cfg = validated("report", overrides, ReportCfg, {"history": str(CONFIG_DIR / "history" / "default.yaml")})
    out = (Path(cfg["out"]).expanduser() if cfg["out"] else default_out(packs)).resolve()
    site = build(packs, out, scores=Path(cfg["scores"]).expanduser() if cfg["scores"] else None, history=cfg["history"]["location"] if cfg["trend"] else None,
                 suite=cfg["suite"], threshold=cfg["threshold"], chunk_size=cfg["chunk_size"], page_size=cfg["page_size"])
    print(f"report: {site.index}")
    print(f"summary: {site.out / 'summary.md'}")
    return 0
