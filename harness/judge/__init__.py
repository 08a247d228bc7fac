"""LLM-as-judge: a second engine decides whether a response matches a reference, with its own recorded seed."""
