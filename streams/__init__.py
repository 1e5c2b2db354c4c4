"""Coalition payee screening: Faust agents that decide allow/hold/block per payment."""
