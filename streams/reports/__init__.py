"""Reports for coalition analysts."""
