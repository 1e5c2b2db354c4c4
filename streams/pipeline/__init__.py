"""From a payment message to the records the worker writes: processor, hand-offs, messages."""
