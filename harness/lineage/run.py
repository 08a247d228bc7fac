"""One `harness lineage` run: open the candidate, summarise or load each reference, compare (weights
first, activations for what the weights leave undecided), decide, and assemble the report."""

from __future__ import annotations

import json
from typing import Any

from harness.lineage.features import Settings


def options(cfg: dict):
    from harness.lineage.compare import Options

    m = cfg["margins"]
    return Options(n_perm=cfg["n_perm"], max_layer_pairs=cfg["max_layer_pairs"], band=cfg["band"], max_expert_pairs=cfg["max_expert_pairs"],
                   unit_margin=m["unit_identity"], alignment_margin=m["alignment"])


def run(candidate: str, references: list[str], cfg: dict, settings: Settings) -> dict[str, Any]:
    from tqdm import tqdm

    from harness.lineage.checkpoint import Checkpoint, tokenizer_merges
    from harness.lineage.compare import compare
    from harness.lineage.decide import DERIVED, comparison_extras, decide, overall
    from harness.lineage.summary import open_reference

    ck = Checkpoint.open(candidate)
    with tqdm(total=ck.total_bytes * 3 * len(references), unit="B", unit_scale=True, desc="reading weights", disable=None) as bar:
        ck.on_read = bar.update
        refs = [open_reference(r, settings, cfg.get("revision")) for r in references]
        opt = options(cfg)
        comparisons = [compare(ck, r, opt) for r in refs]
    decide_kw = {"alpha": cfg["alpha"], "inconclusive_alpha": cfg["inconclusive_alpha"], "components": cfg["components"]}
    components = decide(comparisons, **decide_kw)
    activation_notes: list[str] = []
    if cfg["activations"] != "never":
        undecided = {(c["reference"], c["name"]) for c in components if c["verdict"] != DERIVED and c["name"] in ("language_model", "embeddings")}
        wanted = cfg["activations"] == "always" or any(c["verdict"] in ("inconclusive", "not testable") for c in components
                                                         if (c["reference"], c["name"]) in undecided)
        if undecided and wanted:
            from harness.lineage.activations import activation_route

            for cmp, ref, ref_path in zip(comparisons, refs, references):
                if any(r == cmp.reference for r, _ in undecided):
                    activation_notes += activation_route(ck, ref_path, ref, cmp, cfg, opt)
            components = decide(comparisons, **decide_kw)
    flags = _metadata_flags(ck, refs, tokenizer_merges)
    return {"schema_version": 2, "candidate": str(candidate), "references": [str(r) for r in references],
            "verdict": overall(components), "alpha": cfg["alpha"], "inconclusive_alpha": cfg["inconclusive_alpha"],
            "components": components, "comparisons": [comparison_extras(c) for c in comparisons],
            "activation_route": activation_notes, "metadata_flags": flags, "bytes_read": ck.bytes_read,
            "candidate_unmapped_tensors": ck.unmapped}


def _metadata_flags(ck, refs, merges_of) -> dict:
    """Declared architectures and tokenizer overlap: supporting evidence only, never a verdict."""
    flags: dict[str, Any] = {"candidate_architectures": ck.config.get("architectures"),
                             "candidate_submodels": sorted(k for k in ck.config if k.endswith("_config"))}
    cand_merges = set(merges_of(ck.path))
    for ref in refs:
        entry: dict[str, Any] = {"architectures": ref.meta.get("architectures")}
        ref_path = ref.meta.get("path")
        if ref_path and cand_merges:
            ref_merges = set(merges_of(ref_path))
            if ref_merges:
                entry["merges_jaccard"] = len(cand_merges & ref_merges) / len(cand_merges | ref_merges)
        flags[f"reference {ref.name}"] = json.loads(json.dumps(entry, default=str))
    return flags
