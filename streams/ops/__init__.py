"""Operations: Prometheus metrics and the operator's status summary."""
