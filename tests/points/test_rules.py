"""The published phase-1 arithmetic, by the rule functions alone."""

import pytest

from harness.points import rules


def test_global_common_72_03_gives_14_4():
    scores = [72.03] * 13
    assert rules.round_half_up(rules.scaled_mean(scores, 20), 1) == 14.4


def test_individual_ratio_72_over_80_is_90_percent_and_capped_above_target():
    assert rules.target_ratio(72, 80, 1.0) == pytest.approx(0.9)
    assert rules.target_ratio(95, 80, 1.0) == 1.0
    assert rules.individual_points([1.0, 1.0, 1.0, 1.0, 1.0], 10) == 10.0
    # above the target everywhere is still 10.0, not more
    assert rules.individual_points([rules.target_ratio(b, 50, 1.0) for b in (60, 70, 80, 90, 99)], 10) == 10.0


def test_sections_add_to_the_published_top_team():
    nia = rules.scaled_mean([92.0, 90.0, 94.0], 10)
    common = rules.scaled_mean([72.03] * 13, 20)
    total = nia + common + 10.0
    assert [rules.round_half_up(x, 1) for x in (nia, common, total)] == [9.2, 14.4, 33.6]


def test_trimmed_mean_drops_one_highest_and_one_lowest():
    assert rules.trimmed_mean([30, 32, 31, 35, 20]) == pytest.approx((30 + 32 + 31) / 3)
    # ties: only one copy of the highest and of the lowest goes
    assert rules.trimmed_mean([10, 10, 10, 20, 20]) == pytest.approx((10 + 10 + 20) / 3)
    with pytest.raises(ValueError):
        rules.trimmed_mean([1, 2])


def test_user_scaling_top_team_gets_25():
    pts = rules.user_points({"A": 200, "B": 150, "C": 100}, 25)
    assert pts == {"A": 25.0, "B": 18.75, "C": 12.5}


def test_area_weights():
    by_area = {"math": [80.0, 90.0], "knowledge": [70.0]}
    assert rules.area_weighted(by_area, None, 10) == pytest.approx(8.0)  # plain mean of the three
    assert rules.area_weighted(by_area, {"math": 1, "knowledge": 1}, 10) == pytest.approx((85 + 70) / 2 / 10)
    assert rules.area_weighted(by_area, {"math": 3, "knowledge": 1}, 10) == pytest.approx((0.75 * 85 + 0.25 * 70) / 10)


def test_rounding_is_half_up_once():
    assert rules.round_half_up(0.25, 1) == 0.3 and rules.round_half_up(14.45, 1) == 14.5
    assert rules.round_half_up(33.606, 1) == 33.6
