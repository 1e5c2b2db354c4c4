"""The worker process: the Faust app, its wiring and instrumentation."""
