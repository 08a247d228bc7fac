"""A cached map from lm-eval task names to the directories that define them.

lm-eval's TaskManager parses all of its ~14,000 task YAML files on construction (8 s here), once per job and
once per verification. We parse them once per lm-eval version, remember which directory defines each task,
group and tag (and their members), and give TaskManager only the directories a job needs.
"""

from __future__ import annotations

import functools
import importlib.metadata as md
import json
import os
from collections.abc import Iterable
from pathlib import Path

from harness.paths import CACHE_DIR, TASKS_DIR


def _members(entry) -> list[str]:
    from lm_eval.tasks._index import Kind

    if entry.kind == Kind.TAG:
        return sorted(entry.tags)
    if entry.kind == Kind.GROUP and entry.cfg:
        out = []
        for item in entry.cfg.get("task") or []:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict):
                out.extend(str(item[k]) for k in ("task", "group") if isinstance(item.get(k), str))
        return out
    return []


def _scan(root: Path) -> dict[str, dict]:
    from lm_eval.tasks._index import TaskIndex

    return {
        name: {"dir": str(e.yaml_path.parent) if e.yaml_path else None, "members": _members(e)}
        for name, e in TaskIndex.build([root]).items()
    }


@functools.cache
def lm_eval_map() -> dict[str, dict]:
    import lm_eval.tasks

    root = Path(lm_eval.tasks.__file__).parent
    cache = CACHE_DIR / f"lm_eval-{md.version('lm-eval')}-task-dirs.json"
    if cache.exists():
        data = json.loads(cache.read_text())
        if data.get("root") == str(root):
            return data["tasks"]
    tasks = _scan(root)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"root": str(root), "tasks": tasks}))
    tmp.replace(cache)
    return tasks


def dirs_for(names: Iterable[str], own: dict[str, dict]) -> list[str]:
    """Every directory defining the named tasks, groups or tags, and their members, recursively."""
    index = {**lm_eval_map(), **own}
    dirs, seen, stack = set(), set(), list(names)
    while stack:
        name = stack.pop()
        if name in seen or name not in index:
            continue
        seen.add(name)
        if index[name]["dir"]:
            dirs.add(index[name]["dir"])
        stack.extend(index[name]["members"])
    return sorted(dirs)


@functools.lru_cache(maxsize=32)
def task_manager_for(names: tuple[str, ...]):
    """A TaskManager that knows our tasks/ and the lm-eval directories the named tasks need."""
    from lm_eval.tasks import TaskManager

    own = _scan(TASKS_DIR) if TASKS_DIR.is_dir() else {}
    lm_dirs = [d for d in dirs_for(names, own) if not d.startswith(str(TASKS_DIR))]
    return TaskManager(include_defaults=False, include_path=[*lm_dirs, str(TASKS_DIR)])
