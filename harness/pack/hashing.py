"""sha256 of files and model directories. Pure Python, so a verifier checks weights before loading them."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from harness.pack.layout import UNHASHED, UNHASHED_DIRS

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
)
CHAT_TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pack_files(pack_dir: Path, workers: int | None = None) -> dict[str, str]:
    """sha256 of every file of a pack that the manifest covers, by path relative to the pack. Large packs
    hash on several threads (hashlib releases the GIL on big blocks)."""
    from concurrent.futures import ThreadPoolExecutor

    paths = []
    for path in sorted(p for p in pack_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(pack_dir)
        if rel.as_posix() in UNHASHED or rel.parts[0] in UNHASHED_DIRS:
            continue
        paths.append((rel.as_posix(), path))
    workers = workers or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        digests = list(pool.map(sha256_file, [p for _, p in paths]))
    return {rel: d for (rel, _), d in zip(paths, digests, strict=True)}


def model_hashes(model_dir: Path, tokenizer_dir: Path | None = None) -> dict:
    """Hashes that identify a model: every weights file, the config, tokenizer files and the chat template
    (tokenizer and template from `tokenizer_dir` when the tokenizer lives apart from the weights)."""
    model_dir = Path(model_dir)
    tok_dir = Path(tokenizer_dir) if tokenizer_dir else model_dir
    weights = {p.name: sha256_file(p) for p in sorted(model_dir.iterdir()) if p.suffix in WEIGHT_SUFFIXES and p.is_file()}
    tokenizer = {n: sha256_file(tok_dir / n) for n in TOKENIZER_FILES if (tok_dir / n).is_file()}
    template_parts = [(tok_dir / n).read_text(encoding="utf-8") for n in CHAT_TEMPLATE_FILES if (tok_dir / n).is_file()]
    tok_cfg = tok_dir / "tokenizer_config.json"
    if tok_cfg.is_file():
        embedded = json.loads(tok_cfg.read_text(encoding="utf-8")).get("chat_template")
        if embedded:
            template_parts.append(json.dumps(embedded, sort_keys=True))
    config = model_dir / "config.json"
    return {
        "weights": weights,
        "config": sha256_file(config) if config.is_file() else None,
        "tokenizer": tokenizer,
        "chat_template": sha256_text("\n".join(template_parts)) if template_parts else None,
    }
