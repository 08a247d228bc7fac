"""`harness nightly`: the newest checkpoint through the suite, into the history, compared with the baseline."""
