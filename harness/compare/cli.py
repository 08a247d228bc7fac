"""`harness compare A B [compare.threshold=1.0] [compare.allow_differences=true] [compare.out=FILE]`

A and B are evidence packs (directories) or entry ids of the history (history.location). Prints, per
benchmark, B − A over the shared items with its 95% CI and p-value, and the verdict. Exit 0 when nothing
regressed, 1 when a benchmark regressed, 2 on bad input (packs run differently are bad input unless
compare.allow_differences=true)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import ConfigError

USAGE = "usage: harness compare A B [compare.threshold=POINTS] [compare.allow_differences=true] [compare.out=FILE]"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompareSettings(_Strict):
    threshold: float = Field(1.0, ge=0)
    allow_differences: bool = False
    out: str | None = None


class HistorySettings(_Strict):
    location: str = "results/history.sqlite"


class CompareCfg(_Strict):
    compare: CompareSettings = Field(default_factory=CompareSettings)
    history: HistorySettings = Field(default_factory=HistorySettings)


def resolve(ref: str, location: str) -> Path:
    """A pack directory as given, or the pack recorded for a history entry id."""
    path = Path(ref)
    if path.is_dir():
        return path
    from harness.history import History

    if "://" in location or Path(location).exists():
        with History.open(location) as history:
            found = history.pack_of(ref)
        if found is not None:
            return Path(found)
    return path  # compare_packs names it: not found


def _num(x: float | None, fmt: str = "{:+.1f}") -> str:
    return "–" if x is None or not math.isfinite(x) else fmt.format(x)


def format_comparison(c: Any) -> str:
    lines = [f"A (baseline): {c.a_run_id}  {c.a}", f"B:            {c.b_run_id}  {c.b}"]
    if c.differences:
        lines.append("compared although they differ in:")
        lines += [f"  - {d}" for d in c.differences]
    header = f"{'benchmark':<16} {'metric':<20} {'n':>6} {'A':>6} {'B':>6} {'B−A':>7} {'95% CI':>16} {'p':>7}  verdict"
    lines += ["", header, "-" * len(header)]
    for b in c.benchmarks:
        s = b.stats
        ci = f"[{_num(s.ci95[0])}, {_num(s.ci95[1])}]"
        lines.append(f"{b.benchmark:<16} {b.metric:<20} {b.n_shared:>6} {_num(s.mean_a, '{:.1f}'):>6} {_num(s.mean_b, '{:.1f}'):>6} "
                     f"{_num(s.diff):>7} {ci:>16} {('<0.001' if s.p_value < 0.001 else _num(s.p_value, '{:.3f}')):>7}  {b.verdict}"
                     + (f" ({b.n_flipped} items flipped)" if b.n_flipped else ""))
    for side, names in (("A", c.only_in_a), ("B", c.only_in_b)):
        if names:
            lines.append(f"only in {side}: {', '.join(names)}")
    lines.append(f"\nverdict: {c.verdict} (regressed: a drop of more than {c.threshold:g} points with p < 0.05)")
    return "\n".join(lines)


def write_comparison(out: Path, doc: dict[str, Any]) -> None:
    """Write a comparison's JSON; a file there that is not an earlier comparison is never overwritten."""
    if out.exists():
        try:
            ours = {"a", "b", "benchmarks", "differences"} <= set(json.loads(out.read_text()))
        except (ValueError, TypeError, OSError):
            ours = False
        if not ours:
            raise ConfigError(f"{out} exists and is not a comparison the harness wrote; it is left as it is. Choose another file",
                              file=out, field="compare.out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    tmp.replace(out)


def settings(overrides: list[str]) -> dict[str, Any]:
    from harness.config.compose import validated

    return validated("compare", overrides, CompareCfg)


def main(argv: list[str]) -> int:
    positional = [a for a in argv if "=" not in a and not a.startswith("-")]
    if len(positional) != 2:
        raise ConfigError(f"give two packs or history entries\n{USAGE}", file="command line")
    cfg = settings([a for a in argv if a not in positional])
    from harness.compare import compare_packs

    loc = cfg["history"]["location"]
    c = compare_packs(resolve(positional[0], loc), resolve(positional[1], loc), threshold=cfg["compare"]["threshold"],
                      allow_differences=cfg["compare"]["allow_differences"])
    print(format_comparison(c))
    if cfg["compare"]["out"]:
        out = Path(cfg["compare"]["out"])
        write_comparison(out, c.to_dict())
        print(f"comparison: {out}")
    return 1 if c.regressed else 0
