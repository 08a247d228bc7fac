"""Hydra configs → validated, typed specs. Nothing here loads a model."""
