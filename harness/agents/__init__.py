"""Agent benchmarks (τ²-Bench): our engine behind an OpenAI-compatible chat endpoint, episodes run by the
benchmark's own package in its own environment, every model call recorded as evidence."""
