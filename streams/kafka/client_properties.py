"""A principal's client settings as a JSON file of librdkafka properties
(`bootstrap.servers`, `security.protocol`, `sasl.mechanism`, `sasl.username`,
`sasl.password`, `ssl.ca.location`): written readable by its owner only, read back with a
one-line error when it is not such a file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import orjson

SCRAM_MECHANISM = "SCRAM-SHA-512"
REQUIRED = ("bootstrap.servers", "security.protocol")
# The variables `screening` commands and the worker read (streams/settings.py), by property.
ENVIRONMENT = {
    "bootstrap.servers": "KAFKA_BOOTSTRAP_SERVERS",
    "security.protocol": "KAFKA_SECURITY_PROTOCOL",
    "sasl.mechanism": "KAFKA_SASL_MECHANISM",
    "sasl.username": "KAFKA_SASL_USERNAME",
    "sasl.password": "KAFKA_SASL_PASSWORD",
    "ssl.ca.location": "KAFKA_SSL_CAFILE",
}


class ClientPropertiesError(ValueError):
    """The file is missing, unreadable or not a JSON object of string properties."""


def scram_properties(
    bootstrap_servers: str, username: str, password: str, ca_file: Path | str
) -> dict[str, str]:
    """SASL_SSL with SCRAM-SHA-512 as `username`, trusting the CA in `ca_file`."""
    return {
        "bootstrap.servers": bootstrap_servers,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": SCRAM_MECHANISM,
        "sasl.username": username,
        "sasl.password": password,
        "ssl.ca.location": str(Path(ca_file).resolve()),
    }


def write_properties(path: Path, properties: dict[str, str]) -> None:
    """Write the properties as indented JSON, mode 600 from the first byte (replaces the
    file in one rename, so a reader never sees half of it)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(orjson.dumps(properties, option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(temporary, path)


def read_properties(path: Path) -> dict[str, str]:
    """The properties of a file `write_properties` wrote (or one like it); raises
    ClientPropertiesError naming the file and what is wrong, never quoting a value."""
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ClientPropertiesError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError:
        raise ClientPropertiesError(f"{path}: not JSON (librdkafka properties)") from None
    if not isinstance(document, dict) or not all(
        isinstance(value, str) for value in document.values()
    ):
        raise ClientPropertiesError(f"{path}: not a JSON object of string properties")
    missing = [key for key in REQUIRED if not document.get(key)]
    if missing:
        raise ClientPropertiesError(f"{path}: no {', '.join(missing)}")
    return dict(document)


def environment(properties: dict[str, str]) -> dict[str, str]:
    """The `KAFKA_*` variables that give a worker or command these client settings."""
    return {ENVIRONMENT[key]: value for key, value in properties.items() if key in ENVIRONMENT}


def new_password() -> str:
    """A random password: 32 URL-safe characters (192 bits), nothing to quote anywhere."""
    return secrets.token_urlsafe(24)


def kept_password(path: Path, user: str) -> str:
    """The password in `path` when it holds `user`'s settings, so that a re-run keeps
    existing credentials; a new password when there is no such file. ClientPropertiesError
    (never quoting a value) when the file is unreadable or someone else's."""
    if not path.exists():
        return new_password()
    properties = read_properties(path)
    password = properties.get("sasl.password")
    if properties.get("sasl.username") != user or not password:
        raise ClientPropertiesError(f"{path}: not {user}'s credentials")
    return password
