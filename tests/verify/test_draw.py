"""The draw (pure): nested across fractions and counts of one seed, uniform, re-derivable."""

from __future__ import annotations

from collections import Counter

from harness.verify.draw import draw

POP = {"mmlu_pro": [(f"mmlu_pro/{i}", r) for i in range(300) for r in range(5)],
       "gpqa": [(f"gpqa/{i}", r) for i in range(40) for r in range(5)]}


def test_draws_of_one_seed_are_nested():
    sizes = [draw(POP, seed=7, run_id="team-a", fraction=f) for f in (0.01, 0.05, 0.2, 0.5, 1.0)]
    for small, large in zip(sizes, sizes[1:]):
        assert set(small) < set(large)
    assert set(draw(POP, seed=7, run_id="team-a", samples=30)) < set(draw(POP, seed=7, run_id="team-a", samples=300))
    assert len(sizes[-1]) == sum(map(len, POP.values()))


def test_the_draw_depends_on_seed_and_run_id_and_is_uniform():
    a = draw(POP, seed=7, run_id="team-a", fraction=0.2)
    assert a == draw(POP, seed=7, run_id="team-a", fraction=0.2)
    assert set(a) != set(draw(POP, seed=8, run_id="team-a", fraction=0.2))
    assert set(a) != set(draw(POP, seed=7, run_id="team-b", fraction=0.2))
    # every run index equally likely over many seeds (chi-square-free check: each within 20 % of the mean)
    counts = Counter(t.run for s in range(200) for t in draw(POP, seed=s, run_id="x", fraction=0.05) if t.benchmark == "mmlu_pro")
    mean = sum(counts.values()) / 5
    assert all(abs(c - mean) < 0.2 * mean for c in counts.values()), counts
