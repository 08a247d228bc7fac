"""The expert and user sheets, read into checked cells. The expert sheet may be long (evaluator, team,
criterion, score: a row per criterion) or wide (evaluator, team, then a column per criterion, optionally a
total that must equal their sum: a row per evaluator and team, as offices keep it); the user sheet long
(user, team, rating) or wide (user, then a column per team). Every team of the teams
file must appear in every sheet; duplicated rows and cells are refused, never summed twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import DataError
from harness.points import sheets, validate
from harness.points.sheets import key
from harness.points.validate import TeamNames, Where


@dataclass
class ExpertSheet:
    scores: dict[str, dict[str, dict[str, float]]]  # team → evaluator → criterion → score
    layout: str  # long | wide
    info: dict[str, str] = field(default_factory=dict)  # file, sha256, encoding


@dataclass
class UserSheet:
    ratings: dict[str, dict[str, float]]  # team → user → rating
    info: dict[str, str] = field(default_factory=dict)


def read_experts(path: Path, teams: TeamNames, criteria: dict[str, float], encoding: str) -> ExpertSheet:
    by_key = {key(c): c for c in criteria}
    probe = sheets.read(path, ("evaluator", "team"), tuple(by_key) + ("criterion", "score", "total"), encoding=encoding)
    wide = all(c in probe.columns for c in by_key)
    if not wide and not {"criterion", "score"} <= set(probe.columns):
        missing = [c for c in criteria if key(c) not in probe.columns]
        raise DataError(f"neither a long sheet (evaluator, team, criterion, score) nor a wide one (evaluator, team, "
                        f"{', '.join(criteria)}): missing {missing if probe.columns else 'a header'}; the header has {probe.columns}",
                        file=path, field="header")
    cells: dict[str, dict[str, dict[str, float]]] = {t: {} for t in teams.names}
    first: dict[tuple[str, str, str], int] = {}
    spelling: dict[str, str] = {}  # 'e01' and 'E01 ' are one evaluator, shown as first written

    def put(team: str, evaluator: str, criterion: str, value: float, row: int, column: str) -> None:
        evaluator = spelling.setdefault(key(evaluator), evaluator)
        k = (team, key(evaluator), criterion)
        if k in first:
            raise DataError(f"evaluator {evaluator} scored {team} on {criterion} twice (first in row {first[k]})",
                            file=path, field=f"row {row}, {column}")
        first[k] = row
        cells[team].setdefault(evaluator, {})[criterion] = value

    for r in probe.rows:
        c = r.cells
        team = teams.match(c["team"], Where.cell(path, r.number, "team"))
        ev = validate.text(c["evaluator"], Where.cell(path, r.number, "evaluator"), "evaluator")
        if wide:
            got = {}
            for ck, crit in by_key.items():
                got[crit] = validate.bounded(c[ck], Where.cell(path, r.number, crit), f"{crit} score", 0, criteria[crit])
                put(team, ev, crit, got[crit], r.number, crit)
            if c.get("total"):
                total = validate.number(c["total"], Where.cell(path, r.number, "total"), "total")
                if abs(total - sum(got.values())) > 1e-6:
                    raise DataError(f"total {total:g} is not the sum of the criteria ({sum(got.values()):g}): which one is right?",
                                    file=path, field=f"row {r.number}, total")
        else:
            crit_text = validate.text(c["criterion"], Where.cell(path, r.number, "criterion"), "criterion")
            if key(crit_text) not in by_key:
                raise DataError(f"unknown criterion {crit_text!r}; the rules have {list(criteria)}", file=path, field=f"row {r.number}, criterion")
            crit = by_key[key(crit_text)]
            put(team, ev, crit, validate.bounded(c["score"], Where.cell(path, r.number, "score"), f"{crit} score", 0, criteria[crit]),
                r.number, "score")
    teams.all_present({t for t, evs in cells.items() if evs}, Where(path, "team"), "expert")
    for team, evaluators in cells.items():
        for ev, cs in evaluators.items():
            if set(cs) != set(criteria):
                raise DataError(f"evaluator {ev} did not score {team} on {sorted(set(criteria) - set(cs))}",
                                file=path, field=f"evaluator {ev}, team {team}")
    return ExpertSheet(cells, "wide" if wide else "long", probe.describe())


def read_users(path: Path, teams: TeamNames, lo: int, hi: int, encoding: str) -> UserSheet:
    """Long (user, team, rating: a row per rating) or wide (user, then a column per team: a row per user)."""
    by_key = teams.by_key()
    sheet = sheets.read(path, ("user",), ("team", "rating", *by_key), encoding=encoding)
    long = {"team", "rating"} <= set(sheet.columns)
    if not long and not all(k in sheet.columns for k in by_key):
        wide_ish = any(k in sheet.columns for k in by_key) and "team" not in sheet.columns
        missing = [n for k, n in by_key.items() if k not in sheet.columns] if wide_ish else [c for c in ("team", "rating") if c not in sheet.columns]
        raise DataError(f"neither a long sheet (user, team, rating) nor a wide one (user, then a column per team): "
                        f"missing column(s) {missing}; the header has {sheet.columns}", file=path, field="header")
    ratings: dict[str, dict[str, float]] = {t: {} for t in teams.names}
    first: dict[tuple[str, str], int] = {}
    spelling: dict[str, str] = {}
    for r in sheet.rows:
        c = r.cells
        user = validate.text(c["user"], Where.cell(path, r.number, "user"), "user")
        user = spelling.setdefault(key(user), user)
        if long:
            cells = [(teams.match(c["team"], Where.cell(path, r.number, "team")), c["rating"], "rating")]
        else:  # a blank is refused: a user who did not rate every team belongs in the long layout
            cells = [(name, c[k], name) for k, name in by_key.items()]
        for team, value, column in cells:
            rating = validate.bounded(value, Where.cell(path, r.number, column), "rating", lo, hi, whole=True)
            if (key(user), team) in first:
                raise DataError(f"user {user} rated {team} twice (first in row {first[(key(user), team)]})", file=path, field=f"row {r.number}, {column}")
            first[(key(user), team)] = r.number
            ratings[team][user] = rating
    teams.all_present({t for t, us in ratings.items() if us}, Where(path, "team"), "user")
    return UserSheet(ratings, {**sheet.describe(), "layout": "long" if long else "wide"})
