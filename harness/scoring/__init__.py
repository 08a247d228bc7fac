"""The scoring stage: generated sample-runs become scored records, in worker processes beside the engine.
`harness run` and `harness verify` score through this one stage."""
