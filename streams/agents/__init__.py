"""Faust agents and services of the worker, registered explicitly by `streams.worker.run`."""
