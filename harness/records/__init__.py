"""Per-sample evidence: the record schema and the append-only store that resumes from it."""

from harness.records.schema import RECORD_SCHEMA_VERSION, Response, SampleRecord

__all__ = ["RECORD_SCHEMA_VERSION", "Response", "SampleRecord"]
