"""Velocity rules: definitions, the set in force, files and topic, window state, expiry, stages."""
