"""Wire contracts: topic names, JSON payloads, CloudEvents headers, generated JSON Schemas."""
