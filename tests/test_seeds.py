from harness.seeds import SEED_BITS, request_seed, run_seed


def test_seeds_are_deterministic_and_in_range():
    a = request_seed(run_seed(1234, 0), "mmlu_pro", "mmlu_pro_math/7", 0)
    assert a == request_seed(run_seed(1234, 0), "mmlu_pro", "mmlu_pro_math/7", 0)
    assert 0 <= a < 2**SEED_BITS


def test_every_part_of_the_key_changes_the_seed():
    base = (run_seed(1234, 0), "b", "t/1", 0)
    variants = [
        (run_seed(1235, 0), "b", "t/1", 0),
        (run_seed(1234, 1), "b", "t/1", 0),
        (run_seed(1234, 0), "c", "t/1", 0),
        (run_seed(1234, 0), "b", "t/2", 0),
        (run_seed(1234, 0), "b", "t/1", 1),
    ]
    seeds = {request_seed(*base)} | {request_seed(*v) for v in variants} | {request_seed(*base, repeat=1)}
    assert len(seeds) == 7


def test_five_runs_get_five_distinct_run_seeds():
    assert len({run_seed(7, r) for r in range(5)}) == 5


def test_no_separator_ambiguity():
    # "a" + "b:c" must not collide with "a:b" + "c"
    assert request_seed(1, "a", "b:c", 0) != request_seed(1, "a:b", "c", 0)
