"""Reading what `harness score` is given: teams.yaml, plain scores (CSV or YAML) and lineage reports. Packs are
read by harness/points/packs.py, rating sheets by harness/points/ratings.py; every number goes through
harness/points/validate.py. Every error names the file and the row or field; nothing is computed from bad input."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import ConfigError, DataError
from harness.points import sheets, validate
from harness.points.validate import TeamNames, Where


class PackRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    receipt: str | None = None  # the team's submission receipt (`harness receipt PACK`): the pack must match it


class IndividualTargets(BaseModel):
    """Where the target model's scores A come from: a pack of the target run like the team's (`pack`), or typed
    values (`targets`) with a `source` note that every output repeats."""

    model_config = ConfigDict(extra="forbid")
    target_model: str
    pack: str | PackRef | None = None
    targets: dict[str, Any] | None = None  # benchmark → A (0–100], checked by harness/points/validate.py
    source: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> IndividualTargets:
        if (self.pack is None) == (self.targets is None):
            raise ValueError("give either `pack:` (an individual-suite pack of the target model) or typed `targets:` with a `source:` note")
        if self.targets is not None and not (self.source or "").strip():
            raise ValueError("typed target scores need a `source:` note saying where each A was published "
                             "(or give `pack:`, a run of the target model by the same command and settings)")
        return self


class TeamEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    packs: list[str | PackRef] = Field(default_factory=list)
    scores: list[str] = Field(default_factory=list)
    individual: IndividualTargets | None = None
    lineage: list[str] = Field(default_factory=list)
    independent: bool = True
    independence_note: str | None = None


class TeamsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    teams: list[TeamEntry]
    experts: str | None = None
    users: str | None = None
    encoding: Literal["utf-8", "cp949"] = "utf-8"  # cp949: also read sheets Korean Excel saved as plain "CSV"


def pack_ref(entry: str | PackRef) -> PackRef:
    return entry if isinstance(entry, PackRef) else PackRef(path=entry)


@dataclass
class Score:
    benchmark: str
    score: float  # 0–100
    suite: str | None
    area: str | None
    source: str  # where it came from: a pack (with its verification) or a plain-score file and its note
    pack: str | None = None  # the pack directory, when it came from one (settings are compared with the target's)


@dataclass
class Team:
    name: str
    scores: dict[str, Score] = field(default_factory=dict)
    target_model: str | None = None
    targets: dict[str, float] | None = None  # benchmark → A, checked (0, 100]
    target_source: str | None = None  # "measured: pack …" or "typed: <the source note>", repeated in every output
    ineligible: list[str] = field(default_factory=list)  # reasons
    lineage_reports: list[dict[str, Any]] = field(default_factory=list)


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_bytes().decode("utf-8-sig"))
    except OSError as err:
        raise DataError(f"cannot read ({err.strerror})", file=path) from None
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 (byte at offset {err.start}); save it as UTF-8", file=path) from None
    except yaml.YAMLError as err:
        raise DataError(f"not valid YAML ({err})", file=path) from None


def load_teams_file(path: Path) -> TeamsFile:
    try:
        teams = TeamsFile.model_validate(_yaml(path))
    except ValidationError as err:
        first = err.errors()[0]
        raise ConfigError(first["msg"].removeprefix("Value error, "), file=path, field=".".join(map(str, first["loc"]))) from None
    TeamNames([t.name for t in teams.teams], path)  # names that differ only in case or spacing are refused
    names = [t.name for t in teams.teams]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"team(s) {dupes} listed twice", file=path, field="teams")
    return teams


def plain_scores(path: Path, encoding: str = "utf-8") -> list[Score]:
    """Scores run elsewhere: YAML {suite, source, scores: {benchmark: score | {score, area, suite}}} or CSV with
    columns benchmark, score, suite, source[, area]. A source note and a known suite label are required."""
    if path.suffix.lower() in (".csv", ".txt"):
        sheet = sheets.read(path, ("benchmark", "score", "suite", "source"), ("area",), encoding=encoding)
        out = []
        for row in sheet.rows:
            c = row.cells
            cell = lambda col: Where.cell(path, row.number, col)  # noqa: E731
            out.append(Score(validate.text(c["benchmark"], cell("benchmark"), "benchmark"), validate.score(c["score"], cell("score")),
                             validate.suite(c["suite"], cell("suite")), c.get("area") or None,
                             f"{path.name}: {validate.text(c['source'], cell('source'), 'source note')}"))
        validate.not_fractions([s.score for s in out], Where.cell(path, sheet.rows[0].number, "score"))
        return _no_repeats(out, path, [f"row {r.number}, benchmark" for r in sheet.rows])
    doc = _yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("scores"), dict) or not doc["scores"]:
        raise DataError("needs a `source` note, a `suite` label and a non-empty `scores` mapping", file=path, field="scores")
    note = validate.text(doc.get("source"), Where(path, "source"), "source note")
    out = []
    for name, v in doc["scores"].items():
        here = Where(path, f"scores.{name}")
        value, area, label = (v.get("score"), v.get("area"), v.get("suite", doc.get("suite"))) if isinstance(v, dict) else (v, None, doc.get("suite"))
        out.append(Score(str(name), validate.score(value, here), validate.suite(label, Where(path, "suite") if not isinstance(v, dict) or "suite" not in v else here),
                         area, f"{path.name}: {note}"))
    validate.not_fractions([s.score for s in out], Where(path, "scores"))
    return out


def _no_repeats(scores: list[Score], path: Path, fields: list[str]) -> list[Score]:
    seen: dict[str, str] = {}
    for s, f in zip(scores, fields):
        if s.benchmark in seen:
            raise DataError(f"benchmark {s.benchmark} appears twice (first at {seen[s.benchmark]})", file=path, field=f)
        seen[s.benchmark] = f
    return scores


def lineage_report(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise DataError(f"cannot read ({err.strerror})", file=path) from None
    except ValueError:
        raise DataError("not valid JSON", file=path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("components"), list):
        raise DataError("not a lineage report: no `components` list", file=path, field="components")
    return doc
