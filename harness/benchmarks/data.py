"""Where a task's dataset comes from: the hub at a pinned revision, a local mirror, or our sample sets.

lm-eval tasks name their data as `datasets.load_dataset(path, name)`. Rather than rewrite each task, we
redirect that one call while tasks load: a mirror (and tasks/samples) is laid out as
`<root>/<dataset id>/<config name or "default">/<split>.jsonl` (or `.parquet`), so any task — groups and
subsets included — reads from disk unchanged. Every dataset actually read is recorded with its files' hashes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.spec import DataSpec, DatasetRef
from harness.errors import DataError
from harness.pack.hashing import sha256_file
from harness.paths import SAMPLES_DIR

LOCAL_BUILDERS = {"json", "csv", "parquet", "text", "arrow"}
EXTENSIONS = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}
MIRROR_MANIFEST = "MIRROR.json"  # written by scripts/fetch_datasets.py beside the mirrored datasets


def jsonl_objects(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for every non-empty line; a line that is not a JSON object is an error naming
    the file and the line."""
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"not valid JSON ({err.msg})", file=path, field=f"line {lineno}") from None
            if not isinstance(obj, dict):
                raise DataError("not a JSON object", file=path, field=f"line {lineno}")
            yield lineno, obj


def validate_jsonl(path: Path) -> None:
    for _ in jsonl_objects(path):
        pass


@dataclass
class DatasetUse:
    """One dataset a benchmark read, for the manifest."""

    id: str
    config: str | None
    source: str
    revision: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # path → sha256

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "config": self.config, "source": self.source, "revision": self.revision, "files": self.files}


class DatasetResolver:
    """Resolves `load_dataset(path, name, …)` calls for one job according to its DataSpec."""

    def __init__(self, data: DataSpec, pinned: dict[str, DatasetRef]):
        self.data = data
        self.pinned = pinned
        self.root = SAMPLES_DIR if data.source == "sample" else data.root
        self.mirrored = _mirror_revisions(self.root) if data.source == "mirror" else {}
        self.used: list[DatasetUse] = []

    def local_files(self, dataset_id: str, config: str | None) -> dict[str, Path]:
        assert self.root is not None
        directory = Path(self.root) / dataset_id / (config or "default")
        if not directory.is_dir():
            raise DataError(
                f"dataset {dataset_id!r} (config {config or 'default'!r}) is not in the {self.data.source} "
                f"directory: expected {directory}/<split>.jsonl",
                file=directory,
                field="data.root" if self.data.source == "mirror" else "tasks/samples",
            )
        files = {p.stem: p for p in sorted(directory.iterdir()) if p.suffix in EXTENSIONS}
        if not files:
            raise DataError(f"no <split>.jsonl or <split>.parquet files in {directory}", file=directory)
        return files

    def load(self, original, path: str, name: str | None = None, **kwargs: Any):
        if path in LOCAL_BUILDERS or Path(path).exists():  # a task's own local files (e.g. the NIA format)
            for f in _data_files(kwargs.get("data_files")):
                if f.suffix == ".jsonl" and f.exists():
                    validate_jsonl(f)
            use = DatasetUse(id=path, config=name, source="local", files={str(f): sha256_file(f) for f in _data_files(kwargs.get("data_files")) if f.exists()})
            self.used.append(use)
            return original(path, name, **kwargs)
        if self.data.source == "hub":
            from harness.benchmarks.pins import loaded_files

            ref = self.pinned.get(path)
            if ref and ref.revision and "revision" not in kwargs:
                kwargs["revision"] = ref.revision
            # The commit actually read, even for an unpinned head (data.allow_unpinned): pinned at load time.
            kwargs["revision"] = _commit_of(path, kwargs.get("revision"))
            loaded = original(path, name, **kwargs)
            self.used.append(DatasetUse(id=path, config=name, source="hub", revision=kwargs.get("revision"), files=loaded_files(loaded)))
            return loaded
        files = self.local_files(path, name)
        for f in files.values():
            if f.suffix == ".jsonl":
                validate_jsonl(f)
        builders = {EXTENSIONS[f.suffix] for f in files.values()}
        if len(builders) != 1:
            raise DataError(f"mixed file types in {next(iter(files.values())).parent}", file=next(iter(files.values())).parent)
        ref = self.pinned.get(path)
        revision = self._mirror_revision(path, name, ref.revision if ref else None)
        self.used.append(
            DatasetUse(
                id=path,
                config=name,
                source=self.data.source,
                revision=revision,
                files={str(f): sha256_file(f) for f in files.values()},
            )
        )
        split = kwargs.get("split")
        return original(builders.pop(), data_files={k: str(v) for k, v in files.items()}, split=split)

    def _mirror_revision(self, path: str, name: str | None, pinned: str | None) -> str | None:
        """The revision a mirror holds (MIRROR.json); a mirror of another revision than the one pinned is refused."""
        held = self.mirrored.get((path, name or "default"))
        if pinned and held and held != pinned:
            raise DataError(
                f"the mirror holds {path} ({name or 'default'}) at revision {held}, but the benchmark pins {pinned}: "
                "re-run scripts/fetch_datasets.py or change the pin",
                file=Path(self.root) / MIRROR_MANIFEST,
                field="data.root",
            )
        return pinned or held

    @contextlib.contextmanager
    def active(self) -> Iterator[DatasetResolver]:
        """Redirect `datasets.load_dataset` to this resolver while tasks load."""
        import datasets

        original = datasets.load_dataset

        def patched(path, name=None, *args, **kwargs):
            if args:  # positional data_dir/data_files: pass through untouched
                return original(path, name, *args, **kwargs)
            return self.load(original, path, name, **kwargs)

        datasets.load_dataset = patched
        try:
            yield self
        finally:
            datasets.load_dataset = original


def _commit_of(dataset_id: str, revision: str | None) -> str | None:
    """The hub's commit sha for `revision` (a branch, tag or sha; None: the default branch). Offline, or
    without access, the revision as given: the files' hashes still identify what was read."""
    if revision and len(revision) == 40 and all(c in "0123456789abcdef" for c in revision):
        return revision
    try:
        from huggingface_hub import HfApi

        return HfApi().dataset_info(dataset_id, revision=revision).sha or revision
    except Exception:  # offline, gated, or the hub is unreachable: keep what the config said
        return revision


def _mirror_revisions(root: Path | None) -> dict[tuple[str, str], str]:
    """(dataset id, config) → revision, from the MIRROR.json that scripts/fetch_datasets.py writes (if any)."""
    path = Path(root) / MIRROR_MANIFEST if root else None
    if path is None or not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text())["datasets"]
        return {(d["id"], d["config"]): d["revision"] for d in entries if d.get("revision")}
    except (ValueError, KeyError, TypeError) as err:
        raise DataError(f"unreadable mirror manifest ({err})", file=path) from None


def _data_files(spec: Any) -> list[Path]:
    if spec is None:
        return []
    if isinstance(spec, (str, Path)):
        return [Path(spec)]
    if isinstance(spec, dict):
        return [p for v in spec.values() for p in _data_files(v)]
    return [Path(s) for s in spec]
