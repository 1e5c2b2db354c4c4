"""The fraud desk's console: holds, claims, resolutions with four eyes, lookups and the
audit trail, served over HTTP from a local view of the topics (the system of record)."""
