"""Assemble every team's points with each step shown, from inputs already read and checked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, DataError
from harness.points import rules
from harness.points.inputs import Team, TeamsFile, lineage_report, pack_scores, plain_scores, read_sheet


@dataclass
class Result:
    team: str
    eligible: bool
    ineligible_reasons: list[str]
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {points, steps…}
    total: float = 0.0
    rank: int | None = None


def gather_teams(teams_file: TeamsFile, teams_path: Path, cfg: dict) -> list[Team]:
    base = teams_path.parent
    teams = []
    for i, entry in enumerate(teams_file.teams):
        team = Team(entry.name, targets=entry.individual)
        found = [s for p in entry.packs for s in pack_scores(base / p, cfg["require_verified"])]
        found += [s for p in entry.scores for s in plain_scores(base / p)]
        for s in found:
            if s.benchmark in team.scores:
                raise DataError(f"team {entry.name}: benchmark {s.benchmark} scored twice ({team.scores[s.benchmark].source}; {s.source})", file=teams_path, field=f"teams.{i}")
            team.scores[s.benchmark] = s
        if not entry.independent:
            team.ineligible.append(f"marked not independent: {entry.independence_note or 'no reason given'}")
        for rel in entry.lineage:
            report = lineage_report(base / rel)
            team.lineage_reports.append(report)
            for comp in report["components"]:
                ind = cfg["independence"]
                if comp.get("verdict") in ind["ineligible_verdicts"] and comp.get("name") in ind["components"]:
                    team.ineligible.append(f"lineage report {rel}: component {comp['name']} {comp['verdict']} from {comp.get('reference')} (p = {comp.get('p_value')})")
        teams.append(team)
    return teams


def benchmark_sections(team: Team, index: int, cfg: dict, teams_path: Path) -> dict[str, dict[str, Any]]:
    where = f"teams.{index}"
    nia_cfg, gc_cfg, ind_cfg = cfg["nia"], cfg["global_common"], cfg["individual"]
    out: dict[str, dict[str, Any]] = {}

    nia = [s for s in team.scores.values() if s.suite == nia_cfg["suite"]]
    if not nia:
        raise DataError(f"team {team.name}: no benchmark of the {nia_cfg['suite']!r} suite", file=teams_path, field=where)
    by_area: dict[str, list[float]] = defaultdict(list)
    for s in nia:
        by_area[s.area or "unassigned"].append(s.score)
    weights = nia_cfg.get("area_weights")
    if weights:
        missing = sorted(set(weights) - set(by_area))
        if missing:
            raise DataError(f"team {team.name}: no NIA benchmark in area(s) {missing}", file=teams_path, field=where)
    out["nia"] = {"points": rules.area_weighted(by_area, weights, nia_cfg["points"]), "max": nia_cfg["points"],
                  "inputs": [s.__dict__ for s in nia], "area_weights": weights,
                  "formula": "weighted mean of area means × points / 100" if weights else "mean of benchmark scores × points / 100"}

    missing = [b for b in gc_cfg["benchmarks"] if b not in team.scores]
    if missing:
        raise DataError(f"team {team.name}: global common benchmark(s) {missing} have no score", file=teams_path, field=where)
    gc = [team.scores[b] for b in gc_cfg["benchmarks"]]
    out["global_common"] = {"points": rules.scaled_mean([s.score for s in gc], gc_cfg["points"]), "max": gc_cfg["points"],
                            "mean": sum(s.score for s in gc) / len(gc), "inputs": [s.__dict__ for s in gc],
                            "formula": f"mean of {len(gc)} scores × {gc_cfg['points']} / 100"}

    if team.targets is None:
        raise ConfigError(f"team {team.name}: no individual target model and A values", file=teams_path, field=f"{where}.individual")
    targets = team.targets.targets
    if len(targets) != ind_cfg["n_benchmarks"]:
        raise ConfigError(f"team {team.name}: {len(targets)} individual benchmarks, the rules ask for {ind_cfg['n_benchmarks']}", file=teams_path, field=f"{where}.individual.targets")
    steps = []
    for bench, a in targets.items():
        if a is None or a <= 0:
            raise ConfigError(f"team {team.name}: target score A for {bench} is {a!r}; it must be a positive number", file=teams_path, field=f"{where}.individual.targets.{bench}")
        if bench not in team.scores:
            raise DataError(f"team {team.name}: individual benchmark {bench} has no score", file=teams_path, field=f"{where}.individual.targets.{bench}")
        b = team.scores[bench].score
        steps.append({"benchmark": bench, "B": b, "A": a, "ratio": b / a, "capped": rules.target_ratio(b, a, ind_cfg["cap"]), "source": team.scores[bench].source})
    out["individual"] = {"points": rules.individual_points([s["capped"] for s in steps], ind_cfg["points"]), "max": ind_cfg["points"],
                         "target_model": team.targets.target_model, "steps": steps,
                         "formula": f"mean of min(B/A, {ind_cfg['cap']}) × {ind_cfg['points']}"}
    return out


def expert_sections(path: Path, team_names: list[str], cfg: dict) -> dict[str, dict[str, Any]]:
    ecfg = cfg["expert"]
    criteria = ecfg["criteria"]
    cells: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))  # team → evaluator → criterion → score
    for row, r in read_sheet(path, "expert"):
        if r["team"] not in team_names:
            raise DataError(f"row {row}: team {r['team']!r} is not in teams.yaml", file=path, field=f"row {row}")
        if r["criterion"] not in criteria:
            raise DataError(f"row {row}: unknown criterion {r['criterion']!r}; the rules have {list(criteria)}", file=path, field=f"row {row}")
        if not 0 <= r["score"] <= criteria[r["criterion"]]:
            raise DataError(f"row {row}: score {r['score']} outside 0–{criteria[r['criterion']]} for {r['criterion']}", file=path, field=f"row {row}")
        if r["criterion"] in cells[r["team"]][r["evaluator"]]:
            raise DataError(f"row {row}: evaluator {r['evaluator']} scored {r['team']} on {r['criterion']} twice", file=path, field=f"row {row}")
        cells[r["team"]][r["evaluator"]][r["criterion"]] = r["score"]
    out = {}
    for team in team_names:
        evaluators = cells.get(team, {})
        if len(evaluators) < ecfg["min_evaluators"]:
            raise DataError(f"team {team}: {len(evaluators)} evaluator(s); the trimmed mean needs at least {ecfg['min_evaluators']}", file=path, field=team)
        for ev, cs in evaluators.items():
            if set(cs) != set(criteria):
                raise DataError(f"evaluator {ev} did not score {team} on {sorted(set(criteria) - set(cs))}", file=path, field=team)
        totals = {ev: sum(cs.values()) for ev, cs in evaluators.items()}
        if ecfg["trim"] == "per_criterion":
            per = {c: rules.trimmed_mean([cs[c] for cs in evaluators.values()]) for c in criteria}
            points, steps = sum(per.values()), {"per_criterion_trimmed_means": per}
        else:
            hi, lo = max(totals, key=totals.get), min(totals, key=totals.get)
            points, steps = rules.trimmed_mean(list(totals.values())), {"dropped_highest": {hi: totals[hi]}, "dropped_lowest": {lo: totals[lo]}}
        out[team] = {"points": points, "max": ecfg["points"], "evaluator_totals": totals, "n_evaluators": len(totals), "trim": ecfg["trim"], **steps}
    return out


def user_sections(path: Path, team_names: list[str], cfg: dict) -> dict[str, dict[str, Any]]:
    ucfg = cfg["user"]
    sums: dict[str, float] = {t: 0.0 for t in team_names}
    counts: dict[str, int] = {t: 0 for t in team_names}
    seen: set[tuple[str, str]] = set()
    for row, r in read_sheet(path, "user"):
        if r["team"] not in sums:
            raise DataError(f"row {row}: team {r['team']!r} is not in teams.yaml", file=path, field=f"row {row}")
        if not ucfg["min_rating"] <= r["rating"] <= ucfg["max_rating"] or r["rating"] != int(r["rating"]):
            raise DataError(f"row {row}: rating {r['rating']:g} is not a whole number in {ucfg['min_rating']}–{ucfg['max_rating']}", file=path, field=f"row {row}")
        if (r["user"], r["team"]) in seen:
            raise DataError(f"row {row}: user {r['user']} rated {r['team']} twice", file=path, field=f"row {row}")
        seen.add((r["user"], r["team"]))
        sums[r["team"]] += r["rating"]
        counts[r["team"]] += 1
    if max(sums.values(), default=0) <= 0:
        raise DataError("no ratings", file=path)
    points = rules.user_points(sums, ucfg["points"])
    top = max(sums.values())
    return {t: {"points": points[t], "max": ucfg["points"], "sum": sums[t], "top_sum": top, "n_ratings": counts[t],
                "n_users": len({u for u, _ in seen})} for t in team_names}


def score_all(teams_file: TeamsFile, teams_path: Path, cfg: dict) -> list[Result]:
    base = teams_path.parent
    teams = gather_teams(teams_file, teams_path, cfg)
    names = [t.name for t in teams]
    experts = expert_sections(base / teams_file.experts, names, cfg) if teams_file.experts else {}
    users = user_sections(base / teams_file.users, names, cfg) if teams_file.users else {}
    results = []
    for i, team in enumerate(teams):
        sections = benchmark_sections(team, i, cfg, teams_path)
        sections["benchmarks"] = {"points": sum(sections[k]["points"] for k in ("nia", "global_common", "individual")),
                                  "max": cfg["nia"]["points"] + cfg["global_common"]["points"] + cfg["individual"]["points"]}
        if team.name in experts:
            sections["expert"] = experts[team.name]
        if team.name in users:
            sections["user"] = users[team.name]
        total = sum(sections[k]["points"] for k in ("benchmarks", "expert", "user") if k in sections)
        results.append(Result(team.name, not team.ineligible, team.ineligible, sections, total))
    ranked = sorted((r for r in results if r.eligible), key=lambda r: -r.total)
    for rank, r in enumerate(ranked, start=1):
        r.rank = rank
    return sorted(results, key=lambda r: (r.rank is None, r.rank or 0, r.team))
