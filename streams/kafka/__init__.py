"""Kafka plumbing: topic names, administration, plain client I/O, ACLs, the embedded broker."""
