"""Tensor names → canonical slots, for the families a team could start from.

Llama, Mistral and Qwen (HF names), Meta/Mistral original (`layers.N.attention.wq`, `feed_forward.w1`,
`tok_embeddings`, `output`), Gemma (extra pre/post norms, gains stored as w with gain 1 + w), Phi-3 (fused
`qkv_proj`, `gate_up_proj`), Mixtral / Qwen-MoE / DeepSeek experts (one by one, routers, shared experts),
and vision or audio towers (SigLIP, CLIP, Qwen-VL, Whisper: `fc1`/`fc2` MLPs) as components of their own.

A slot says what a tensor *does* (reads the residual stream, writes it, normalises it), which is all the
tests need; a tensor no rule knows is listed as unmapped, and a checkpoint whose layers map to nothing is
"not testable", never "independent".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPONENTS = ("language_model", "embeddings", "vision_encoder", "audio_encoder")

# Which component a tensor belongs to, by a prefix anywhere in its name (first match wins).
_COMPONENT = [
    ("vision_encoder", re.compile(r"(^|\.)(vision_tower|vision_model|visual|vision_encoder|image_encoder|vit|vpm|siglip|img_encoder)\.", re.I)),
    ("audio_encoder", re.compile(r"(^|\.)(audio_tower|audio_model|audio_encoder|whisper|apm|speech_encoder)\.", re.I)),
]
_LAYER = re.compile(r"(?:^|\.)(?:layers|layer|blocks|h|block)\.(\d+)\.")
_EXPERT = re.compile(r"\.experts\.(\d+)\.")
_SHARED = re.compile(r"\.shared_experts?\.")

# Roles inside a layer, matched on the part of the name after the layer number (and expert number).
_ROLES = [
    ("qkv", r"(qkv_proj|qkv|query_key_value|c_attn|wqkv|Wqkv)"),
    ("q", r"(q_proj|wq|query|q_a_proj|q_lin)"),
    ("k", r"(k_proj|wk|key|kv_a_proj_with_mqa|k_lin)"),
    ("v", r"(v_proj|wv|value|v_lin)"),
    ("o", r"(o_proj|wo|out_proj|attn\.proj|attention\.dense|attn\.c_proj|attention\.output\.dense|out_lin)"),
    ("gate_up", r"(gate_up_proj)"),
    ("gate", r"(gate_proj|w1|fc1_gate)"),
    ("up", r"(up_proj|w3|fc1|c_fc|dense_h_to_4h|linear_fc1|lin1)"),
    ("down", r"(down_proj|w2|fc2|mlp\.c_proj|dense_4h_to_h|linear_fc2|lin2)"),
    ("router", r"((block_sparse_moe|mlp|feed_forward|moe)\.(gate|router)(\.layer)?|router)"),
    ("shared_gate", r"(shared_expert_gate)"),
    ("pre_mlp_norm", r"(pre_feedforward_layernorm)"),
    ("post_mlp_norm", r"(post_feedforward_layernorm)"),
    ("attn_norm", r"(input_layernorm|attention_norm|layer_norm1|norm1|ln_1|ln1|attn_norm|self_attn_layer_norm)"),
    ("mlp_norm", r"(post_attention_layernorm|ffn_norm|layer_norm2|norm2|ln_2|ln2|final_layer_norm|ffn_layer_norm)"),
]
_ROLE_RX = [(role, re.compile(rf"(^|\.){rx}\.(weight|bias)$")) for role, rx in _ROLES]

_EMBED = re.compile(r"(^|\.)(embed_tokens|tok_embeddings|wte|word_embeddings|embed_in|tok_embed|token_embedding)\.weight$")
_LM_HEAD = re.compile(r"(^|\.)(lm_head|embed_out)\.weight$|^(model\.)?output\.weight$")
_FINAL_NORM = re.compile(r"(^|\.)(norm|ln_f|final_layernorm|final_norm|post_layernorm|layernorm_post|ln_post)\.weight$")
_PATCH = re.compile(r"(patch_embed(ding)?(\.proj)?|conv1|patch_embedding)\.weight$")


@dataclass(frozen=True)
class Slot:
    component: str
    role: str  # q k v o qkv gate up down gate_up router … | embed lm_head final_norm patch
    layer: int | None = None
    expert: str | None = None  # None: the dense MLP; "3": expert 3; "shared": a shared expert
    kind: str = "weight"  # weight | bias


def component_of(name: str) -> str:
    for comp, rx in _COMPONENT:
        if rx.search(name):
            return comp
    return "language_model"


def slot_of(name: str) -> Slot | None:
    """The canonical slot of one tensor name, or None when no rule knows it."""
    comp = component_of(name)
    if comp == "language_model":
        if _EMBED.search(name):
            return Slot("embeddings", "embed")
        if _LM_HEAD.search(name):
            return Slot("embeddings", "lm_head")
    m = _LAYER.search(name)
    if m is None:
        if _FINAL_NORM.search(name):
            return Slot(comp if comp != "language_model" else "embeddings", "final_norm")
        if comp != "language_model" and _PATCH.search(name):
            return Slot(comp, "patch")
        return None
    layer = int(m.group(1))
    rest = name[m.end() - 1 :]
    expert = None
    e = _EXPERT.search(rest)
    if e:
        expert, rest = e.group(1), rest[e.end() - 1 :]
    elif _SHARED.search(rest):
        expert = "shared"
        rest = rest[_SHARED.search(rest).end() - 1 :]
    for role, rx in _ROLE_RX:
        hit = rx.search(rest)
        if hit:
            return Slot(comp, role, layer, expert, "bias" if rest.endswith(".bias") else "weight")
    return None


def map_names(names: list[str]) -> tuple[dict[Slot, str], list[str]]:
    """slot → tensor name for every name a rule knows, and the names none does (reported, never tested).
    Gemma's `post_attention_layernorm` follows the attention (a post-norm) when the layer also has a
    `pre_feedforward_layernorm`; elsewhere it is the norm before the MLP."""
    slots: dict[Slot, str] = {}
    unmapped = []
    for name in sorted(names):
        s = slot_of(name)
        if s is None:
            unmapped.append(name)
        else:
            slots[s] = name
    gemma_like = {(s.component, s.layer) for s in slots if s.role == "pre_mlp_norm"}
    fixed: dict[Slot, str] = {}
    for s, name in slots.items():
        if (s.component, s.layer) in gemma_like:
            if s.role == "mlp_norm":
                s = Slot(s.component, "post_attn_norm", s.layer, s.expert, s.kind)
            elif s.role == "pre_mlp_norm":
                s = Slot(s.component, "mlp_norm", s.layer, s.expert, s.kind)
        fixed[s] = name
    return fixed, unmapped
