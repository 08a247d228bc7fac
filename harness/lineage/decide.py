"""From tests to verdicts: Holm-corrected p-values per (component, reference), the evidence behind the
smallest, the layers responsible, a sentence a verifier can read, and the exit code.

Verdicts: `derived` (corrected p < α), `inconclusive` (< inconclusive α), `no evidence`, and `not testable`
(the component's tensors follow no known layout, or no test applies): never "independent" by default.
"""

from __future__ import annotations

from typing import Any

from harness.lineage.compare import Comparison, Test
from harness.lineage.stats import holm

DERIVED, INCONCLUSIVE, NO_EVIDENCE, NOT_TESTABLE = "derived", "inconclusive", "no evidence", "not testable"
SEVERITY = {NO_EVIDENCE: 0, NOT_TESTABLE: 1, INCONCLUSIVE: 2, DERIVED: 3}
EXIT_CODES = {NO_EVIDENCE: 0, DERIVED: 1, INCONCLUSIVE: 3, NOT_TESTABLE: 4}
NULLS = {
    "verbatim": "identical bytes (or values rounded to bf16) of a non-constant tensor: p = 0",
    "mantel": "exact: the candidate's residual channels relabelled at random",
    "columns": "exact: the candidate's residual channels relabelled at random",
    "elements": "exact: the candidate's residual channels relabelled at random",
    "unit_identity": "margin: agreement rate above the margin independently trained models stay under",
    "alignment": "margin: held-out cosine above the margin independently trained models stay under",
    "cka": "margin: CKA above the margin independently trained models stay under",
}
EFFECT_KEYS = ("r", "null_mean", "null_sd", "z", "agreement", "agreeing_units", "n", "m", "margin", "cosine", "cka", "identical",
               "p_chance", "chance_rate", "shared_anchors")


def _p(p: float) -> str:
    return "< 1e-300" if p == 0 else f"{p:.3g}"


def sentence(comp: str, verdict: str, best: Test | None, n_tests: int, alpha: float, reason: str | None = None) -> str:
    """One plain-language sentence for the report."""
    if verdict == NOT_TESTABLE:
        return f"The {comp} component could not be tested: {reason}. This is not a finding of independence."
    if best is None:
        return f"No test applies to the {comp}."
    w, e, p = best.where, best.effect, _p(best.adjusted_p if best.adjusted_p is not None else best.p)
    layer = f"layer {w['layer']} (reference layer {w['reference_layer']})" if "layer" in w and "reference_layer" in w else ""
    if best.kind == "verbatim":
        what = f"tensor {w['tensor']} is identical ({e['identical']}) to the reference's {', '.join(w['reference_tensors'][:2])}"
    elif best.kind == "mantel" and "tensor" not in w:
        what = (f"in {layer}, how the {w.get('block', 'MLP')} weights use the residual channels correlates with the reference at "
                f"{e['r']:.2f}, where randomly relabelled channels give {e['null_mean']:.2f} ± {e['null_sd']:.2f}")
    elif best.kind == "elements":
        what = (f"in {layer}, the same units' {w.get('block', 'MLP')} weights correlate with the reference's at {e['r']:.2f}, "
                f"where randomly relabelled channels give {e['null_mean']:.2f} ± {e['null_sd']:.2f}")
    elif best.kind == "mantel" and "tensor" in w:
        what = (f"how the {w['tensor']} rows (any tokens) use the residual channels correlates with the reference at {e['r']:.2f}, "
                f"where randomly relabelled channels give {e['null_mean']:.2f} ± {e['null_sd']:.2f}")
    elif best.kind == "columns":
        what = (f"the {w['tensor']} rows of {w['shared_anchors']} shared tokens correlate with the reference's at {e['r']:.2f}, "
                f"where randomly relabelled channels give {e['null_mean']:.2f} ± {e['null_sd']:.2f}")
    elif best.kind == "unit_identity":
        what = (f"after undoing a rotation of the residual stream (found from {w['basis']}), {e['agreement']:.0%} of the reference's "
                f"sampled hidden units of {layer} reappear as one candidate unit in {'/'.join(w['views'])} at once "
                f"(independent models: at most {e['margin']:.0%})")
    elif best.kind == "alignment":
        what = (f"after an orthogonal map fitted on half of {w['shared_anchors']} shared anchors, the other half's {w['tensor']} rows "
                f"have cosine {e['cosine']:.2f} with the reference's (independent models: below {e['margin']:.2f})")
    else:
        what = f"hidden states on the probe texts have CKA {e['cka']:.3f} with the reference's {layer} (independent models: below {e['margin']:.2f})"
    if verdict == DERIVED:
        return f"The {comp} component was derived from the reference: {what} (corrected p = {p} < α = {alpha:g})."
    if verdict == INCONCLUSIVE:
        return f"Weak evidence that the {comp} component was derived: {what} (corrected p = {p}, not below α = {alpha:g})."
    return f"No evidence that the {comp} component was derived ({n_tests} tests; the strongest: {what}; corrected p = {p})."


def decide(comparisons: list[Comparison], *, alpha: float, inconclusive_alpha: float, components: list[str]) -> list[dict[str, Any]]:
    out = []
    for cmp in comparisons:
        groups: dict[str, list[Test]] = {}
        for t in cmp.tests:
            groups.setdefault(t.component, []).append(t)
        for comp in components:
            tests = groups.get(comp, [])
            if not tests and comp not in cmp.not_testable and comp not in cmp.expected:
                continue
            if not tests:
                reason = cmp.not_testable.get(comp, "no test applies (no shared layout, width or anchors)")
                out.append({"name": comp, "reference": cmp.reference, "verdict": NOT_TESTABLE, "p_value": None, "reason": reason,
                            "sentence": sentence(comp, NOT_TESTABLE, None, 0, alpha, reason), "layers": [], "layer_matches": [],
                            "n_tests": 0, "evidence": [], "test": None, "effect": {}})
                continue
            for t, adj in zip(tests, holm([t.p for t in tests])):
                t.adjusted_p = adj
            best = min(tests, key=lambda t: (t.adjusted_p, -abs(t.effect.get("z", 0) or 0)))
            p = best.adjusted_p
            verdict = DERIVED if p < alpha else INCONCLUSIVE if p < inconclusive_alpha else NO_EVIDENCE
            significant = [t for t in tests if t.adjusted_p < alpha]
            out.append({
                "name": comp,
                "reference": cmp.reference,
                "verdict": verdict,
                "p_value": p,
                "sentence": sentence(comp, verdict, best, len(tests), alpha),
                "test": {"kind": best.kind, "null": NULLS[best.kind], **best.where},
                "effect": _effect(best),
                "layers": sorted({t.where["layer"] for t in significant if "layer" in t.where}),
                "layer_matches": sorted({(t.where["layer"], t.where["reference_layer"]) for t in significant if "reference_layer" in t.where}),
                "n_tests": len(tests),
                "significant_tests": len(significant),
                "tests_by_kind": {k: sum(t.kind == k for t in tests) for k in sorted({t.kind for t in tests})},
                "evidence": [_row(t) for t in sorted(tests, key=lambda t: t.adjusted_p)[:12]],
                "strongest_by_route": _by_route(tests),
            })
    return out


def _row(t: Test) -> dict[str, Any]:
    return {"kind": t.kind, **t.where, "p": t.p, "adjusted_p": t.adjusted_p, **_effect(t)}


def _by_route(tests: list[Test]) -> dict[str, dict[str, Any]]:
    """The strongest test of each kind and basis (raw, anchors, weights, activations): which route saw what."""
    out: dict[str, Test] = {}
    for t in tests:
        key = f"{t.kind}/{t.where.get('basis', 'raw')}"
        if key not in out or (t.adjusted_p, -(t.effect.get("z") or 0)) < (out[key].adjusted_p, -(out[key].effect.get("z") or 0)):
            out[key] = t
    return {k: _row(t) for k, t in sorted(out.items())}


def _effect(t: Test) -> dict[str, Any]:
    return {k: v for k, v in t.effect.items() if k in EFFECT_KEYS}


def overall(components: list[dict[str, Any]]) -> str:
    return max((c["verdict"] for c in components), key=SEVERITY.get, default=NOT_TESTABLE)


def comparison_extras(cmp: Comparison) -> dict[str, Any]:
    return {"reference": cmp.reference, "provenance": cmp.provenance, "alignment": cmp.alignment, "controls": cmp.controls,
            "notes": cmp.notes, "not_testable": cmp.not_testable, "n_tests": len(cmp.tests)}
