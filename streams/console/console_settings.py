"""The console's settings, read from environment variables beside the common ones."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from streams.settings import SettingsError

DEFAULT_DB_FILE = "screening-console.db"


@dataclass(frozen=True)
class ConsoleSettings:
    """Where the console keeps its view, how long tokens live, when a hold is late."""

    database_url: str = f"sqlite:///{DEFAULT_DB_FILE}"
    token_ttl_s: float = 8 * 3600.0
    hold_sla_s: float = 4 * 3600.0
    # Session cookies marked Secure even when the request does not say it came over TLS
    # (a proxy that terminates TLS without sending X-Forwarded-Proto).
    secure_cookies: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        """Read `SCREENING_CONSOLE_DB` (a database URL; default an SQLite file under the
        working directory), `SCREENING_TOKEN_TTL` and `SCREENING_HOLD_SLA` (durations such
        as `90s`, `15m`, `8h`) and `SCREENING_CONSOLE_SECURE_COOKIES` (`true`/`false`);
        raise SettingsError naming the variable."""
        env = os.environ if env is None else env
        url = env.get("SCREENING_CONSOLE_DB", "").strip()
        if not url:
            url = f"sqlite:///{Path.cwd() / DEFAULT_DB_FILE}"
        elif not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise SettingsError(
                f"SCREENING_CONSOLE_DB: {url!r} is not a sqlite:/// or postgresql:// URL"
            )
        return cls(
            database_url=url,
            token_ttl_s=_duration(env, "SCREENING_TOKEN_TTL", cls.token_ttl_s),
            hold_sla_s=_duration(env, "SCREENING_HOLD_SLA", cls.hold_sla_s),
            secure_cookies=_flag(env, "SCREENING_CONSOLE_SECURE_COOKIES"),
        )


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """`90s`, `15m`, `8h`, `2d` or plain seconds → seconds (> 0); ValueError otherwise."""
    text = text.strip().lower()
    unit = _UNITS.get(text[-1:]) if text else None
    number = float(text[:-1] if unit is not None else text)
    seconds = number * (unit or 1.0)
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(text)
    return seconds


def _duration(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return parse_duration(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a duration such as 90s, 15m or 8h") from None


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise SettingsError(f"{name}: {raw!r} is not true or false")
