"""Writing the merged pack: the parts' records and per-record hash indexes joined as they are (rows, token
batches and index lines copied, never re-encoded: each part's files were checked against its manifest),
prompts once each, then the pack finished as a single job finishes it (runs, summary, lm-eval's results,
manifest), so its scores are computed from the merged records, not carried over.

The pack is built in a sibling directory and renamed into place at the end: a merge killed half-way leaves
no half pack under the pack's name.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from harness.errors import RecordError
from harness.merge.parts import Part
from harness.pack import layout
from harness.pack.finish import finish_pack
from harness.records import tokens as tok

_CHUNK = 1 << 22


def _copy_into(dst, src: Path, skip: int = 0) -> None:
    with open(src, "rb") as fh:
        fh.seek(skip)
        shutil.copyfileobj(fh, dst, _CHUNK)


def _join_records(parts: list[Part], out: Path, bench: str) -> None:
    """Rows in slice order, and the token batches in the same order (each part's stream minus its header)."""
    head = tok.header()
    rows, tokens = out / layout.RECORDS / f"{bench}.jsonl", out / layout.RECORDS / f"{bench}{tok.SUFFIX}"
    with open(rows, "wb") as r_out, open(tokens, "wb") as t_out:
        wrote_head = False
        for p in parts:
            src_rows, src_tokens = p.path / layout.RECORDS / f"{bench}.jsonl", p.path / layout.RECORDS / f"{bench}{tok.SUFFIX}"
            if src_rows.exists():
                _copy_into(r_out, src_rows)
            if src_tokens.exists() and src_tokens.stat().st_size:
                with open(src_tokens, "rb") as fh:
                    if fh.read(len(head)) != head:
                        raise RecordError(f"{p.name}: the tokens file does not start with the token store's schema", file=src_tokens)
                if not wrote_head:
                    t_out.write(head)
                    wrote_head = True
                _copy_into(t_out, src_tokens, skip=len(head))
    if not wrote_head:
        tokens.unlink()
    # the per-record hash indexes, in the same order: each line hashes one record's row and tokens, wherever it sits
    with open(out / layout.RECORDS / f"{bench}{layout.LINE_HASHES}", "wb") as i_out:
        for p in parts:
            index = p.path / layout.RECORDS / f"{bench}{layout.LINE_HASHES}"
            if index.exists():
                _copy_into(i_out, index)


def _join_prompts(parts: list[Part], out: Path, bench: str) -> None:
    seen: set[str] = set()
    dst = out / layout.PROMPTS / f"{bench}.jsonl"
    with open(dst, "wb") as fh:
        for p in parts:
            src = p.path / layout.PROMPTS / f"{bench}.jsonl"
            if not src.exists():
                continue
            with open(src, "rb") as lines:
                for raw in lines:
                    if not raw.endswith(b"\n"):
                        continue
                    digest = json.loads(raw)["sha256"]
                    if digest not in seen:
                        seen.add(digest)
                        fh.write(raw)


def _copy_logs(parts: list[Part], out: Path) -> None:
    for p in parts:
        logs = p.path / layout.LOGS
        if logs.is_dir():
            shutil.copytree(logs, out / layout.LOGS / p.path.name)


def _manifest(parts: list[Part]) -> dict[str, Any]:
    """The merged manifest's sections: what the parts share, as a single job records it, and each part."""
    first = parts[0].manifest
    settings = {k: v for k, v in (first.get("settings") or {}).items() if k != "shard"}
    engines = [p.manifest.get("engine") for p in parts]
    return {
        "engine": first.get("engine"), "datasets": first.get("datasets"), "settings": settings,
        "packages": first.get("packages"), "hardware": first.get("hardware"),
        "merged_from": [{"part": f"{p.index}/{p.count}", "dir": str(p.path), "manifest_sha256": p.manifest_sha256,
                         "hardware": p.manifest.get("hardware"), "packages": p.manifest.get("packages"),
                         **({"engine": engines[i]} if engines[i] != engines[0] else {})} for i, p in enumerate(parts)],
    }


def _times(parts: list[Part]) -> tuple[float | None, float | None]:
    starts = [p.manifest.get("shard", {}).get("started") for p in parts]
    ends = [p.manifest.get("shard", {}).get("finished") for p in parts]
    if None in starts or None in ends:
        return None, None
    return min(starts), max(ends) - min(starts)


def write_merged(parts: list[Part], out: Path) -> dict[str, Any]:
    """Join checked parts (harness.merge.parts.check_parts) into the pack `out`; returns its summary."""
    out = Path(out)
    tmp = out.with_name(f"{out.name}.merging-{os.getpid()}")
    if tmp.exists():
        raise RecordError("exists already (a merge killed half-way?); move it away and merge again", file=tmp)
    try:
        (tmp / layout.RECORDS).mkdir(parents=True)
        (tmp / layout.PROMPTS).mkdir()
        first = parts[0]
        config = dict(first.config)
        config["run"] = {**config["run"], "shard": None}
        (tmp / layout.CONFIG).write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
        shutil.copyfile(first.path / layout.MODEL, tmp / layout.MODEL)
        for bench in first.spec["benchmarks"]:
            _join_records(parts, tmp, bench)
            _join_prompts(parts, tmp, bench)
        started, elapsed = _times(parts)
        summary = finish_pack(tmp, first.spec, run_id=str(first.manifest.get("run_id")),
                              model_name=str(first.manifest.get("shard", {}).get("model_name")),
                              model_config=first.config["model"], manifest=_manifest(parts), started=started,
                              elapsed_s=elapsed, indexed=True)
        _copy_logs(parts, tmp)
        if out.exists():
            out.rmdir()  # only ever an empty directory (harness.merge.cli checks)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary
