"""Mirror the datasets a suite reads into a local directory, for air-gapped clusters (`data.root=`).

We load each benchmark's tasks exactly as a run does, but with `datasets.load_dataset` recording: every
(dataset, config) the tasks ask for is fetched at its pinned revision (or the hub's current one, whose commit
is then recorded), and every split is written as `<root>/<dataset id>/<config or "default">/<split>.jsonl` —
the layout `harness.benchmarks.data` reads. `MIRROR.json` lists ids, configs, resolved revisions and file hashes;
a run reading the mirror records those revisions and refuses a mirror of another revision than a config pins.
`pin_configs` writes the fetched revisions into the benchmark configs that leave them unpinned.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from harness.config.spec import DataSpec, RunSpec
from harness.paths import CONFIG_DIR
from harness.benchmarks.data import LOCAL_BUILDERS, MIRROR_MANIFEST, DatasetResolver, sha256_file


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
        if key not in entries or (revision and entries[key]["revision"] != revision):  # new, or pinned anew
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

    from harness.benchmarks.factory import load_benchmark, reads_hub_data

    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MIRROR_MANIFEST
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"datasets": []}
    entries = {(d["id"], d["config"]): d for d in previous["datasets"]}
    for spec in specs:
        pinned = {d.id: d for b in spec.benchmarks for d in b.datasets}
        resolver = DatasetResolver(DataSpec("hub", None), pinned)
        with _recording(out, pinned, entries, load or datasets.load_dataset, resolve_revision or _hub_revision):
            for b in spec.benchmarks:
                if reads_hub_data(b):  # NIA files are local; agent tasks ship in their package
                    load_benchmark(b, resolver)
    doc = {"schema_version": 1, "datasets": sorted(entries.values(), key=lambda d: (d["id"], d["config"]))}
    manifest_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return doc


_ID = re.compile(r"^\s*-\s*id:\s*[\"']?([^\"'\s#]+)")
_UNPINNED = re.compile(r"^(\s*)revision:\s*null\b.*$")


def pin_configs(doc: dict[str, Any], config_dir: Path = CONFIG_DIR / "benchmark") -> list[tuple[str, str, str]]:
    """Write each mirrored dataset's revision into the benchmark configs that name it with `revision: null`
    (a line edit: comments and layout stay). Returns (file, dataset id, revision) for every pin written."""
    revisions: dict[str, set[str]] = {}
    for d in doc["datasets"]:
        if d.get("revision"):
            revisions.setdefault(d["id"], set()).add(d["revision"])
    today = dt.date.today().isoformat()
    written = []
    for path in sorted(config_dir.glob("*.yaml")):
        lines, current, changed = path.read_text(encoding="utf-8").splitlines(keepends=True), None, False
        for i, line in enumerate(lines):
            if m := _ID.match(line):
                current = m.group(1)
            elif (m := _UNPINNED.match(line)) and current and len(revisions.get(current, ())) == 1:
                sha = next(iter(revisions[current]))
                lines[i] = f"{m.group(1)}revision: {sha}   # pinned by scripts/fetch_datasets.py on {today}\n"
                written.append((str(path), current, sha))
                changed = True
        if changed:
            path.write_text("".join(lines), encoding="utf-8")
    return written
