"""The activation route: what the weights leave undecided, decided from hidden states.

Candidate and reference run on the same probe texts through the harness's own HF engine loader (fp32, CPU
or GPU). Positions are matched by characters, so two tokenizers can be compared: a position is kept where
both models have a token ending at the same character (a word's end). Two kinds of test are added to the
comparison, and the decision is made again:

* the rotation between the two residual streams, fitted on hidden states (orthogonal Procrustes), feeds the
  same unit-identity test as the weight route (`compare.unit_tests`), so a model whose embeddings were
  re-initialised and whose residual stream was rotated is still found in the layers that were kept;
* the debiased linear CKA of each pair of layers (REEF), a rotation-invariant similarity, tested against a
  margin (`lineage.margins.cka`): independently trained models reach high CKA too, so only a CKA above
  what they reach counts, with a bootstrap over texts for its spread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.lineage import stats
from harness.lineage.checkpoint import Checkpoint
from harness.lineage.compare import Comparison, Options, Test, layer_pairs, unit_pairs, unit_tests
from harness.lineage.summary import Summary
from harness.paths import CONFIG_DIR


def probe_texts(cfg: dict) -> list[str]:
    path = Path(cfg.get("probe_texts") or CONFIG_DIR / "lineage" / "probe_texts.txt")
    if not path.is_file():
        from harness.errors import ConfigError

        raise ConfigError("no such probe-text file", file=path, field="lineage.probe_texts")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def hidden_states(path: str | Path, texts: list[str], max_tokens: int) -> list[tuple[dict[int, int], np.ndarray]]:
    """Per text: (character end offset → position) and hidden states (layers × positions × width), through
    the HF engine's loader. The last entry (after the final norm) is dropped: its gain is not folded."""
    import torch

    from harness.engines.hf_engine import HFEngine

    engine = HFEngine(str(path), dtype="float32", device="cpu", batch_size=1)
    out, used = [], 0
    for text in texts:
        enc = engine.tokenizer(text, return_offsets_mapping=True, truncation=True, max_length=512)
        ids = enc["input_ids"]
        if used + len(ids) > max_tokens:
            break
        used += len(ids)
        with torch.no_grad():
            hs = engine.model(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states
        ends = {int(e): n for n, (s, e) in enumerate(enc["offset_mapping"]) if e > s}
        out.append((ends, np.stack([h[0].float().numpy() for h in hs[:-1]])))
    return out


def _matched(cand: list, ref: list, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack hidden states at word ends both tokenizers share: (layers_c × n × d_c), (layers_r × n × d_r), text ids."""
    hc, hr, groups = [], [], []
    for t, ((ends_c, h_c), (ends_r, h_r), text) in enumerate(zip(cand, ref, texts)):
        word_ends = {i for i, ch in enumerate(text) if not ch.isspace() and (i + 1 == len(text) or text[i + 1].isspace())}
        for end in sorted(e for e in word_ends if e + 1 in ends_c and e + 1 in ends_r):
            hc.append(h_c[:, ends_c[end + 1]])
            hr.append(h_r[:, ends_r[end + 1]])
            groups.append(t)
    if not hc:
        return np.zeros((0, 0, 0)), np.zeros((0, 0, 0)), np.zeros(0)
    return np.stack(hc, axis=1), np.stack(hr, axis=1), np.array(groups)


def activation_route(ck: Checkpoint, ref_path: str, ref: Summary, cmp: Comparison, cfg: dict, opt: Options) -> list[str]:
    """Adds activation tests to `cmp`; returns notes for the report (why it did not run, or what it did)."""
    if (Path(ref_path) / "sketch.json").is_file():
        return [f"{cmp.reference}: a sketch holds no model to run; give the reference checkpoint for the activation route"]
    texts = probe_texts(cfg)
    try:
        cand, refs = hidden_states(ck.path, texts, cfg["max_probe_tokens"]), hidden_states(ref_path, texts, cfg["max_probe_tokens"])
    except Exception as err:  # an unknown architecture or renamed tensors: transformers cannot run it
        return [f"{cmp.reference}: the models could not be run ({type(err).__name__}: {str(err)[:200]})"]
    hc, hr, groups = _matched(cand, refs, texts[: min(len(cand), len(refs))])
    if hc.shape[1] < 32:
        return [f"{cmp.reference}: only {hc.shape[1]} word ends shared by both tokenizers in the probe texts: too few"]
    layers_c, layers_r = list(range(hc.shape[0])), list(range(hr.shape[0]))
    margin = cfg["margins"]["cka"]
    for i, j in layer_pairs(layers_c, layers_r, Options(max_layer_pairs=opt.max_layer_pairs, band=1)):
        res = stats.cka_margin_test(hc[i] - hc[i].mean(0), hr[j] - hr[j].mean(0), margin, groups, ref.settings.seed + 97 * i + j)
        comp = "embeddings" if i == 0 and j == 0 else "language_model"
        if (i == 0) != (j == 0):
            continue  # embedding outputs compare only with embedding outputs
        cmp.tests.append(Test(comp, "cka", {"layer": i, "reference_layer": j}, res["p"], res, False))
    info = ref.component("language_model")
    notes = [f"{cmp.reference}: {hc.shape[1]} shared positions in {len(set(groups.tolist()))} texts, {hc.shape[0]} × {hr.shape[0]} layers"]
    if info and hc.shape[0] > 1 and hr.shape[0] > 1:
        # one rotation for the whole residual stream, fitted on every layer's hidden states along the diagonal
        pairs = [(i, round(i * (len(layers_r) - 1) / max(len(layers_c) - 1, 1))) for i in layers_c[1:]]
        a = np.concatenate([hc[i] - hc[i].mean(0) for i, _ in pairs])
        b = np.concatenate([hr[j] - hr[j].mean(0) for _, j in pairs])
        q = stats.procrustes(a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True))
        cmp.alignment.setdefault("language_model", {})["activations"] = {"source": f"hidden states at {a.shape[0]} positions", "fit": float(
            np.mean(np.sum(stats.unit_rows(a @ q) * stats.unit_rows(b), axis=1)))}
        cand_groups = {i: [f"mlp:{e or 'dense'}" for e in ck.experts("language_model", i)] for i in ck.layers("language_model")}
        unit_tests(ck, ref, "language_model", info, {"activations": q}, opt, cmp, cand_groups,
                   unit_pairs(ck.layers("language_model"), [int(x) for x in info["layers"]], opt))
    return notes
