"""The history of packs (nightly runs): SQLite under results/ by default, a server database by URL.
Pure Python: never imports vllm or lm_eval."""

from harness.history.store import History, entry_id_of

__all__ = ["History", "entry_id_of"]
