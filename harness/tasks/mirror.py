"""Mirror the datasets a suite reads into a local directory, for air-gapped clusters (`data.root=`).

We load each benchmark's tasks exactly as a run does, but with `datasets.load_dataset` recording: every
(dataset, config) the tasks ask for is fetched at its pinned revision (or the hub's current one, whose commit
is then recorded), and every split is written as `<root>/<dataset id>/<config or "default">/<split>.jsonl` —
the layout `harness.tasks.data` reads. `MIRROR.json` lists ids, configs, resolved revisions and file hashes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from harness.config.spec import DataSpec, RunSpec
from harness.tasks.data import LOCAL_BUILDERS, DatasetResolver, sha256_file


def _hub_revision(dataset_id: str, revision: str | None) -> str | None:
    from huggingface_hub import HfApi

    return HfApi().dataset_info(dataset_id, revision=revision).sha


@contextlib.contextmanager
def _recording(out: Path, pinned: dict, entries: dict, load: Callable, resolve_revision: Callable) -> Iterator[None]:
    import datasets

    original = datasets.load_dataset

    def patched(path, name=None, *args, **kwargs):
        if args or path in LOCAL_BUILDERS or Path(str(path)).exists():
            return original(path, name, *args, **kwargs)
        ref = pinned.get(path)
        revision = kwargs.pop("revision", None) or (ref.revision if ref else None)
        key = (path, name or "default")
        if key not in entries:
            resolved = resolve_revision(path, revision)
            full = load(path, name, revision=resolved, **{k: v for k, v in kwargs.items() if k != "split"})
            target = out / path / (name or "default")
            target.mkdir(parents=True, exist_ok=True)
            files = {}
            for split, ds in full.items():
                file = target / f"{split}.jsonl"
                with open(file, "w", encoding="utf-8") as fh:
                    for row in ds:
                        fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                files[str(file.relative_to(out))] = sha256_file(file)
            entries[key] = {"id": path, "config": name or "default", "revision": resolved, "licence": ref.licence if ref else None, "files": files}
        # The task gets what was written: the mirror is exactly what later runs will read.
        files = {Path(f).stem: str(out / f) for f in entries[key]["files"]}
        return original("json", data_files=files, split=kwargs.get("split"))

    datasets.load_dataset = patched
    try:
        yield
    finally:
        datasets.load_dataset = original


def mirror(specs: list[RunSpec], out: Path, *, load: Callable | None = None, resolve_revision: Callable | None = None) -> dict[str, Any]:
    """Mirror every dataset the given runs' benchmarks read into `out`; returns (and writes) MIRROR.json."""
    import datasets

    from harness.tasks.bridge import load_benchmark

    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "MIRROR.json"
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"datasets": []}
    entries = {(d["id"], d["config"]): d for d in previous["datasets"]}
    for spec in specs:
        pinned = {d.id: d for b in spec.benchmarks for d in b.datasets}
        resolver = DatasetResolver(DataSpec("hub", None), pinned)
        with _recording(out, pinned, entries, load or datasets.load_dataset, resolve_revision or _hub_revision):
            for b in spec.benchmarks:
                if b.task != "nia_jsonl":  # NIA files are local already
                    load_benchmark(b, resolver)
    doc = {"schema_version": 1, "datasets": sorted(entries.values(), key=lambda d: (d["id"], d["config"]))}
    manifest_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return doc
