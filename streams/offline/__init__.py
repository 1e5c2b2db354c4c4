"""Offline tools: backtests and synthetic traffic."""
