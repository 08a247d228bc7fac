"""From tests to verdicts: Holm-corrected p-values per (component, reference), effect sizes, the layers
responsible, and the report `harness score` reads (docs/contracts.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from harness.lineage.compare import Comparison, Test
from harness.lineage.stats import holm

DERIVED, INCONCLUSIVE, NO_EVIDENCE = "derived", "inconclusive", "no evidence"
# Tests whose null distribution follows from independent initialisation (hidden units and elements are
# exchangeable under it). Alignment quality and Q/K CKA measure representational similarity, which models
# trained on similar data reach independently: reported as effect sizes, never a verdict on their own.
DECISIVE = {"verbatim", "correlation", "mlp"}
SEVERITY = {NO_EVIDENCE: 0, INCONCLUSIVE: 1, DERIVED: 2}
EXIT_CODES = {NO_EVIDENCE: 0, DERIVED: 1, INCONCLUSIVE: 3}


def decide(comparisons: list[Comparison], *, alpha: float, inconclusive_alpha: float, components: list[str]) -> list[dict[str, Any]]:
    out = []
    for cmp in comparisons:
        groups: dict[str, list[Test]] = {}
        supporting: dict[str, list[Test]] = {}
        for t in cmp.tests:
            (groups if t.kind in DECISIVE else supporting).setdefault(t.component, []).append(t)
        for comp in components:
            tests = groups.get(comp, [])
            if not tests:
                continue
            for t, adj in zip(tests, holm([t.p for t in tests])):
                t.adjusted_p = adj
            best = min(tests, key=lambda t: (t.adjusted_p, -abs(t.effect.get("z", 0) or 0)))
            p = best.adjusted_p
            verdict = DERIVED if p < alpha else INCONCLUSIVE if p < inconclusive_alpha else NO_EVIDENCE
            significant = [t for t in tests if t.adjusted_p < alpha]
            layers = sorted({t.where["layer"] for t in significant if "layer" in t.where})
            out.append({
                "name": comp,
                "reference": cmp.reference,
                "verdict": verdict,
                "p_value": p,
                "test": {"kind": best.kind, **best.where},
                "effect": {k: v for k, v in best.effect.items() if k in ("rho", "r", "cka", "agreement", "ci95", "z", "r_holdout", "identical_bytes", "n")},
                "layers": layers,
                "layer_matches": sorted({(t.where["layer"], t.where["reference_layer"]) for t in significant if "layer" in t.where}),
                "n_tests": len(tests),
                "significant_tests": len(significant),
                "evidence": [{"kind": t.kind, **t.where, "p": t.p, "adjusted_p": t.adjusted_p,
                              **{k: v for k, v in t.effect.items() if k in ("rho", "r", "cka", "z", "agreement")}}
                             for t in sorted(tests, key=lambda t: t.adjusted_p)[:10]],
                "supporting": [{"kind": t.kind, **t.where, **{k: v for k, v in t.effect.items() if k in ("cka", "r_holdout", "z")}}
                               for t in sorted(supporting.get(comp, []), key=lambda t: -(t.effect.get("z") or 0))[:5]],
            })
    return out


def overall(components: list[dict[str, Any]]) -> str:
    return max((c["verdict"] for c in components), key=SEVERITY.get, default=NO_EVIDENCE)


def comparison_extras(cmp: Comparison) -> dict[str, Any]:
    return {"reference": cmp.reference, "alignment": cmp.alignment, "controls": cmp.controls,
            "anchor_overlap": cmp.anchor_overlap, "notes": cmp.notes, "n_tests": len(cmp.tests)}


def tests_table(cmp: Comparison) -> list[dict[str, Any]]:
    return [asdict(t) for t in cmp.tests]
