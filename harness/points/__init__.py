"""The phase evaluation's points from results and ratings. Pure Python: no vllm, no lm_eval, no torch."""
