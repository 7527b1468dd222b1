"""``msa detector``: the detection engine on Kafka, with per-partition event time, spatial re-keying for
pair detectors, and state checkpointed with offsets in PostgreSQL (issue 5)."""
