"""`harness report`: evidence packs, comparisons, the leaderboard and the nightly trend as a static site (site.py)."""

from harness.report.site import Site, build

__all__ = ["Site", "build"]
