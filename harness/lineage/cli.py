"""`harness lineage`: was a component of this checkpoint derived from a reference? Exit 0 no evidence,
1 derived, 3 inconclusive, 2 error. `harness lineage sketch <checkpoint>` stores a reference's summary."""

from __future__ import annotations

import json
from pathlib import Path

from omegaconf import OmegaConf

from harness.config.compose import compose
from harness.errors import ConfigError

USAGE = ("usage: harness lineage <candidate> <reference> [<reference>…] [lineage.alpha=1e-6 …]\n"
         "       harness lineage sketch <checkpoint> lineage.out=<dir>")


def main(argv: list[str]) -> int:
    positional = [a for a in argv if "=" not in a]
    cfg = OmegaConf.to_container(compose("lineage", [a for a in argv if "=" in a]).lineage, resolve=True)
    from harness.lineage.features import Settings

    settings = Settings(**cfg["sketch"])
    if positional[:1] == ["sketch"]:
        if len(positional) != 2 or not cfg["out"]:
            raise ConfigError(USAGE)
        from harness.lineage.sketch import make_sketch

        out = make_sketch(positional[1], cfg["out"], settings)
        print(f"sketch written: {out}")
        return 0
    if len(positional) < 2:
        raise ConfigError(USAGE)
    report = run(positional[0], positional[1:], cfg, settings)
    from harness.lineage.report import default_stem, write

    js, md = write(report, Path(cfg["out"]) if cfg["out"] else default_stem(positional[0]))
    for c in report["components"]:
        print(f"{c['name']:<16} vs {c['reference']}: {c['verdict']:<12} p={c['p_value']:.3g} layers={c['layers']}")
    print(f"{report['verdict'].upper()} — report: {js} (and {md.name})")
    from harness.lineage.decide import EXIT_CODES

    return EXIT_CODES[report["verdict"]]


def run(candidate: str, references: list[str], cfg: dict, settings) -> dict:
    from tqdm import tqdm

    from harness.lineage.checkpoint import Checkpoint, tokenizer_merges, tokenizer_vocab
    from harness.lineage.compare import Options, compare
    from harness.lineage.decide import comparison_extras, decide, overall
    from harness.lineage.sketch import open_reference

    ck = Checkpoint.open(candidate)
    refs = [open_reference(r, settings) for r in references]
    total = ck.total_bytes * 2 + sum(getattr(r, "ck", ck).total_bytes * 2 for r in refs if hasattr(r, "ck"))
    with tqdm(total=total, unit="B", unit_scale=True, desc="reading weights") as bar:
        ck.on_read = bar.update
        for r in refs:
            if hasattr(r, "ck"):
                r.ck.on_read = bar.update
        opt = Options(n_units=cfg["n_units"], max_layer_pairs=cfg["max_layer_pairs"], band=cfg["band"],
                      n_perm_alignment=cfg["n_perm_alignment"], n_perm_cka=cfg["n_perm_cka"], qk=cfg["qk"])
        comparisons = [compare(ck, r, opt) for r in refs]
    components = decide(comparisons, alpha=cfg["alpha"], inconclusive_alpha=cfg["inconclusive_alpha"], components=cfg["components"])
    flags = _metadata_flags(ck, refs, comparisons, tokenizer_vocab, tokenizer_merges)
    return {"schema_version": 1, "candidate": str(candidate), "references": [str(r) for r in references],
            "verdict": overall(components), "alpha": cfg["alpha"], "inconclusive_alpha": cfg["inconclusive_alpha"],
            "components": components, "comparisons": [comparison_extras(c) for c in comparisons],
            "metadata_flags": flags, "bytes_read": ck.bytes_read}


def _metadata_flags(ck, refs, comparisons, vocab_of, merges_of) -> dict:
    cand_cfg = ck.config
    flags = {"candidate_architectures": cand_cfg.get("architectures"),
             "candidate_submodels": sorted(k for k in cand_cfg if k.endswith("_config"))}
    cand_merges = set(merges_of(ck.path))
    for ref, cmp in zip(refs, comparisons):
        meta = ref.metadata()
        entry = {"architectures": (meta.get("config") or {}).get("architectures"), "anchor_token_overlap": cmp.anchor_overlap}
        if hasattr(ref, "ck"):
            ref_merges = set(merges_of(ref.ck.path))
            if cand_merges or ref_merges:
                entry["merges_jaccard"] = len(cand_merges & ref_merges) / max(len(cand_merges | ref_merges), 1)
        flags[f"reference {ref.name}"] = json.loads(json.dumps(entry, default=str))
    return flags
