"""`harness history add PACK… | list [SUITE] | show ENTRY [history.location=…]`

add: put finished packs into the history (again: nothing added; a pack whose manifest changed: refused,
exit 2). list: every entry, oldest first. show: one entry (id, id prefix or run id) with its benchmarks."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.compare.cli import HistorySettings
from harness.errors import ConfigError, RecordError

USAGE = "usage: harness history add PACK [PACK …] | list [SUITE] | show ENTRY   [history.location=PATH_OR_URL]"


class HistoryCfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    history: HistorySettings = Field(default_factory=HistorySettings)


def _num(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.1f}"


def format_entries(entries: list[dict[str, Any]]) -> str:
    if not entries:
        return "the history is empty"
    header = f"{'entry':<12}  {'added (UTC)':<19}  {'status':<6}  {'suite':<12}  {'model':<14}  {'step':>7}  {'verified':<8}  checkpoint / reason"
    lines = [header, "-" * len(header)]
    for e in entries:
        tail = e["checkpoint"] or ""
        if e["status"] != "ok":
            tail = f"{tail}: {(e['reason'] or '').splitlines()[0][:120]}" if e["reason"] else tail
        lines.append(f"{e['entry_id']:<12}  {e['added_at'][:19].replace('T', ' '):<19}  {e['status']:<6}  {str(e['suite'] or '–'):<12}  "
                     f"{str(e['model'] or '–')[:14]:<14}  {str(e['step'] if e['step'] is not None else '–'):>7}  {str(e['verdict'] or '–'):<8}  {tail}")
    return "\n".join(lines)


def format_entry(e: dict[str, Any]) -> str:
    lines = [f"{k}: {json.dumps(e[k], ensure_ascii=False) if isinstance(e[k], (dict, list)) else e[k]}"
             for k in ("entry_id", "run_id", "status", "reason", "added_at", "pack", "manifest_sha256", "suite", "model", "checkpoint",
                       "step", "config_hash", "verdict", "engine", "data_revisions") if e.get(k) is not None]
    if e["benchmarks"]:
        lines += ["", f"{'benchmark':<16} {'metric':<20} {'n':>6} {'mean':>6}  95% CI"]
        for b in e["benchmarks"]:
            lines.append(f"{b['benchmark']:<16} {str(b['metric']):<20} {str(b['n_items']):>6} {_num(b['mean']):>6}  "
                         f"[{_num(b['ci_low'])}, {_num(b['ci_high'])}]" + ("" if b["complete"] else "  (incomplete)"))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from harness.config.compose import validated
    from harness.history import History

    words = [a for a in argv if "=" not in a and not a.startswith("-")]
    if not words or words[0] not in ("add", "list", "show"):
        raise ConfigError(USAGE, file="command line")
    cfg = validated("history", [a for a in argv if a not in words], HistoryCfg)
    action, args = words[0], words[1:]
    location = cfg["history"]["location"]
    if action != "add" and "://" not in location and not Path(location).expanduser().exists():  # reading makes no file
        if action == "list":
            print(f"no history at {location} yet (`harness history add PACK` or `harness nightly` makes it)")
            return 0
        raise RecordError(f"no history at {location}", file=location, field="history.location")
    with History.open(location) as history:
        if action == "add":
            if not args:
                raise ConfigError(f"name the packs to add\n{USAGE}", file="command line")
            before = {e["entry_id"] for e in history.entries()}
            for pack in args:
                entry_id = history.add(pack)
                print(f"{pack}: {'already in the history as' if entry_id in before else 'added as'} {entry_id}")
                before.add(entry_id)
        elif action == "list":
            if len(args) > 1:
                raise ConfigError(USAGE, file="command line")
            print(format_entries(history.entries(args[0] if args else None)))
        else:
            if len(args) != 1:
                raise ConfigError(f"name one entry\n{USAGE}", file="command line")
            entry = history.entry(args[0])
            if entry is None:
                raise RecordError(f"no entry {args[0]!r} (nor a unique prefix or run id of one)", file=history.location, field="entry_id")
            print(format_entry(entry))
    return 0
