"""Assemble every team's points with each step shown, from inputs already read and checked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, DataError
from harness.points import rules
from harness.points.gather import Inputs
from harness.points.inputs import Team
from harness.points.ratings import ExpertSheet, UserSheet


@dataclass
class Result:
    team: str
    eligible: bool
    ineligible_reasons: list[str]
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {points, steps…}
    total: float = 0.0
    rank: int | None = None
    target_source: str | None = None  # where the individual section's A values came from


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
    targets = team.targets
    if len(targets) != ind_cfg["n_benchmarks"]:
        raise ConfigError(f"team {team.name}: {len(targets)} individual benchmarks ({sorted(targets)}), the rules ask for {ind_cfg['n_benchmarks']}",
                          file=teams_path, field=f"{where}.individual")
    steps = []
    for bench, a in targets.items():
        if bench not in team.scores:
            raise DataError(f"team {team.name}: individual benchmark {bench} has no score", file=teams_path, field=f"{where}.individual.targets.{bench}")
        b = team.scores[bench].score
        steps.append({"benchmark": bench, "B": b, "A": a, "ratio": b / a, "capped": rules.target_ratio(b, a, ind_cfg["cap"]),
                      "source": team.scores[bench].source, "A_source": team.target_source})
    out["individual"] = {"points": rules.individual_points([s["capped"] for s in steps], ind_cfg["points"]), "max": ind_cfg["points"],
                         "target_model": team.target_model, "target_source": team.target_source, "steps": steps,
                         "formula": f"mean of min(B/A, {ind_cfg['cap']}) × {ind_cfg['points']}"}
    return out


def expert_sections(sheet: ExpertSheet, cfg: dict) -> dict[str, dict[str, Any]]:
    ecfg = cfg["expert"]
    criteria = ecfg["criteria"]
    out = {}
    for team, evaluators in sheet.scores.items():
        if len(evaluators) < ecfg["min_evaluators"]:
            raise DataError(f"team {team}: {len(evaluators)} evaluator(s); the trimmed mean needs at least {ecfg['min_evaluators']}",
                            file=sheet.info["file"], field=team)
        totals = {ev: sum(cs.values()) for ev, cs in evaluators.items()}
        if ecfg["trim"] == "per_criterion":
            per = {c: rules.trimmed_mean([cs[c] for cs in evaluators.values()]) for c in criteria}
            points, steps = sum(per.values()), {"per_criterion_trimmed_means": per}
        else:
            ordered = sorted(totals, key=lambda ev: (totals[ev], ev))  # ties: the evaluator id decides which one is shown as dropped
            hi, lo = ordered[-1], ordered[0]
            points, steps = rules.trimmed_mean(list(totals.values())), {"dropped_highest": {hi: totals[hi]}, "dropped_lowest": {lo: totals[lo]}}
        out[team] = {"points": points, "max": ecfg["points"], "evaluator_totals": totals, "per_criterion": evaluators,
                     "n_evaluators": len(totals), "trim": ecfg["trim"], **steps}
    return out


def user_sections(sheet: UserSheet, eligible: dict[str, bool], cfg: dict) -> dict[str, dict[str, Any]]:
    """Sums of ratings; the top team gets the points, the others points × sum / top sum. `user.top` says which
    teams the top is taken over: `eligible` (default: the ranked teams; an ineligible team is shown, capped at
    the section's points) or `all` (see docs/scoring.md for the reading of the annex)."""
    ucfg = cfg["user"]
    sums = {t: float(sum(rs.values())) for t, rs in sheet.ratings.items()}
    pool = [t for t in sums if eligible[t]] if ucfg["top"] == "eligible" else list(sums)
    top = max((sums[t] for t in pool), default=0.0)
    if top <= 0:
        raise DataError(f"no ratings for any {'eligible ' if ucfg['top'] == 'eligible' else ''}team: the user section cannot be scaled",
                        file=sheet.info["file"], field="rating")
    points = rules.user_points(sums, ucfg["points"], top)
    n_users = len({u for rs in sheet.ratings.values() for u in rs})
    out = {}
    for t in sums:
        capped = points[t] > ucfg["points"]
        out[t] = {"points": min(points[t], ucfg["points"]), "max": ucfg["points"], "sum": sums[t], "top_sum": top, "top_over": ucfg["top"],
                  "n_ratings": len(sheet.ratings[t]), "n_users": n_users, **({"capped_from": points[t]} if capped else {})}
    return out


def score_all(inputs: Inputs, teams_path: Path, cfg: dict) -> list[Result]:
    teams = inputs.teams
    eligible = {t.name: not t.ineligible for t in teams}
    experts = expert_sections(inputs.experts, cfg) if inputs.experts else {}
    users = user_sections(inputs.users, eligible, cfg) if inputs.users else {}
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
        results.append(Result(team.name, not team.ineligible, team.ineligible, sections, total, target_source=team.target_source))
    ranked = sorted((r for r in results if r.eligible), key=lambda r: -r.total)
    for rank, r in enumerate(ranked, start=1):
        r.rank = rank
    return sorted(results, key=lambda r: (r.rank is None, r.rank or 0, r.team))
