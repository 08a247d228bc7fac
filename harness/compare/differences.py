"""What differs between two packs besides the model: the settings that make a paired comparison
meaningless when they change (datasets and their revisions, tasks, prompts, generation settings, scorers).
Each difference is one human-readable line."""

from __future__ import annotations

import re
from typing import Any

from harness.compare.packs import BenchmarkItems, PackInfo

# Packs written before harness.benchmarks.lmeval.stable_repr show a task's functions with their address in
# that process ("<function f at 0x7f…>"), later ones by module ("<function utils.f>"): compared by the
# function's name, so neither an address nor the upgrade between the two reads as a changed task.
_FUNCTION = re.compile(r"<function (?:[^\s<>]*\.)?([^\s.<>]+)(?: at 0x[0-9a-f]+)?>")


def _no_addresses(x: Any) -> Any:
    if isinstance(x, str):
        return _FUNCTION.sub(r"<function \1>", x)
    if isinstance(x, dict):
        return {k: _no_addresses(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_no_addresses(v) for v in x]
    return x

# spec.json fields of a benchmark that must match for its scores to be comparable
_FIELDS = ("task", "metric", "task_versions", "scorer", "judge", "answer", "kind")


def _show(x: Any) -> str:
    s = repr(x)
    return s if len(s) <= 60 else s[:57] + "…"


def _datasets(manifest: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for d in manifest.get("datasets") or []:
        out[(str(d.get("id")), str(d.get("config")))] = {
            "revision": d.get("revision"), "source": d.get("source"), "files": sorted((d.get("files") or {}).values())}
    return out


def dataset_differences(a: PackInfo, b: PackInfo) -> list[str]:
    da, db = _datasets(a.manifest), _datasets(b.manifest)
    out = []
    for key in sorted(set(da) & set(db)):
        name = key[0] + ("" if key[1] in ("None", "") else f" ({key[1]})")
        for fld in ("revision", "source"):
            if da[key][fld] != db[key][fld]:
                out.append(f"dataset {name}: {fld} {_show(da[key][fld])} vs {_show(db[key][fld])}")
        if da[key]["files"] != db[key]["files"]:
            out.append(f"dataset {name}: file contents differ (sha256)")
    return out


def _lmeval_tasks(meta: dict[str, Any]) -> dict[str, Any]:
    return (meta.get("lmeval") or {}).get("tasks") or {}


def benchmark_differences(name: str, ma: dict[str, Any], mb: dict[str, Any]) -> list[str]:
    """Settings of one benchmark (spec.json) that differ."""
    out = []
    for fld in _FIELDS:
        if ma.get(fld) != mb.get(fld):
            out.append(f"{name}: {fld} {_show(ma.get(fld))} vs {_show(mb.get(fld))}")
    ga, gb = ma.get("generation") or {}, mb.get("generation") or {}
    for key in sorted(set(ga) | set(gb)):
        if ga.get(key) != gb.get(key):
            out.append(f"{name}: generation.{key} {_show(ga.get(key))} vs {_show(gb.get(key))}")
    ta, tb = _lmeval_tasks(ma), _lmeval_tasks(mb)
    for task in sorted(set(ta) & set(tb)):
        if ta[task].get("num_fewshot") != tb[task].get("num_fewshot"):
            out.append(f"{name}: task {task} num_fewshot {_show(ta[task].get('num_fewshot'))} vs {_show(tb[task].get('num_fewshot'))}")
        ca = {k: _no_addresses(v) for k, v in (ta[task].get("config") or {}).items() if k not in ("metadata", "num_fewshot")}
        cb = {k: _no_addresses(v) for k, v in (tb[task].get("config") or {}).items() if k not in ("metadata", "num_fewshot")}
        changed = sorted(k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k))
        if changed:
            out.append(f"{name}: task {task} config differs in {', '.join(changed[:8])}")
    return out


def item_differences(name: str, a: BenchmarkItems, b: BenchmarkItems, shared: list[str]) -> list[str]:
    """Shared items asked differently: another document (data changed) or another prompt (template, few-shot,
    system prompt, chat template)."""
    docs = [s for s in shared if a.keys[s][0] != b.keys[s][0]]
    prompts = [s for s in shared if a.keys[s][0] == b.keys[s][0] and a.keys[s][1] != b.keys[s][1]]
    out = []
    if docs:
        out.append(f"{name}: {len(docs)} of {len(shared)} shared items have other documents (first: {docs[0]})")
    if prompts:
        out.append(f"{name}: {len(prompts)} of {len(shared)} shared items have other prompts (first: {prompts[0]})")
    return out
