"""The leaderboard page from `harness score`'s scores.json: the 100-point table, each part traced to its inputs
(packs with their verdicts, score files, expert and user sheets), ineligible teams shown apart with the reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import RecordError

COLUMNS = [("nia", "NIA /10"), ("global_common", "common /20"), ("individual", "individual /10"), ("benchmarks", "benchmarks /40"),
           ("expert", "expert /35"), ("user", "user /25"), ("total", "total /100")]
LABELS = {"nia": "NIA benchmarks", "global_common": "Global common benchmarks", "individual": "Global individual benchmarks",
          "expert": "Expert panel", "user": "Users"}


@dataclass
class Scores:
    source: Path
    doc: dict[str, Any]


def read_scores(path: Path) -> Scores:
    """`path`: the directory `harness score` wrote (scoring.out) or its scores.json."""
    path = Path(path)
    file = path / "scores.json" if path.is_dir() else path
    if not file.is_file():
        raise RecordError("no scores.json: give the directory `harness score` wrote, or its scores.json", file=file, field="scores")
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise RecordError(f"not valid JSON ({err})", file=file) from None
    if not isinstance(doc, dict):
        raise RecordError("not a JSON object", file=file)
    for key, kind in (("table", list), ("teams", list), ("averages", dict), ("rules", dict), ("inputs", list), ("status", str)):
        if not isinstance(doc.get(key), kind):
            raise RecordError(f"missing or not a {kind.__name__}: not written by `harness score`", file=file, field=key)
    if len(doc["table"]) != len(doc["teams"]):
        raise RecordError(f"{len(doc['table'])} table rows but {len(doc['teams'])} teams", file=file, field="table")
    for i, (row, team) in enumerate(zip(doc["table"], doc["teams"])):
        if not isinstance(row, dict) or not isinstance(team, dict) or row.get("team") != team.get("team"):
            raise RecordError("the table's row and the team's steps name different teams", file=file, field=f"table[{i}].team")
    return Scores(file, doc)


def write_page(w: Any, board: Scores) -> None:
    doc = board.doc
    eligible = [row for row in doc["table"] if row.get("eligible")]
    apart = [(row, team.get("ineligible_reasons") or []) for row, team in zip(doc["table"], doc["teams"]) if not row.get("eligible")]
    w.page("leaderboard.html", "leaderboard.html.j2", "Leaderboard", s=doc, source=str(board.source), columns=COLUMNS,
           eligible=eligible, apart=apart, teams=doc["teams"], labels=LABELS)
