"""`screening broker --engine kafka --secure DIR`: Apache Kafka with SASL_SSL (SCRAM-SHA-512)
on its client listener, a private CA and a broker certificate naming the listen host, the
StandardAuthorizer denying whatever no ACL allows, and a super user whose client settings
go to `DIR/admin.json`.

What DIR holds (made on first use, reused after; secrets mode 600, DIR mode 700):

- `ca.pem` (the CA clients trust), `ca.key`;
- `broker.pem`: the broker's key and certificate chain (made anew at every start, so it
  always names the current listen host);
- `admin.json`: the super user `admin`'s librdkafka properties;
- `broker.password`: the password of `broker`, the brokers' own user.

Two super users: `admin` for operators (creates users, topics, ACLs), `broker` for the
brokers' traffic among themselves, so rotating the operator's password cannot cut the
cluster apart. Both SCRAM credentials are written into the storage when it is formatted
(KIP-900): the first SCRAM login needs one before any admin command could create it.

The controller listener is SASL_SSL too, with PLAIN: a KRaft controller cannot check SCRAM
on its own listener (the credentials live in the metadata it serves), and a PLAINTEXT
controller listener would have to admit the unauthenticated principal as a super user,
which any local process could then use (Kafka 4 clients may bootstrap to controllers).
PLAIN's one user, `broker`, is configured statically on the controllers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from streams.kafka.broker_error import BrokerError
from streams.kafka.certificates import make_ca, make_server_keystore
from streams.kafka.client_properties import (
    SCRAM_MECHANISM,
    ClientPropertiesError,
    kept_password,
    new_password,
    scram_properties,
    write_properties,
)
from streams.kafka.kafka_cluster import KafkaCluster

SUPER_USER = "admin"
BROKER_USER = "broker"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required"
_PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule required"


@dataclass(frozen=True)
class SecureProfile:
    """The files and passwords of one secure profile directory."""

    directory: Path
    admin_password: str
    broker_password: str

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def keystore(self) -> Path:
        return self.directory / "broker.pem"

    @property
    def admin_file(self) -> Path:
        return self.directory / "admin.json"

    @property
    def broker_password_file(self) -> Path:
        return self.directory / "broker.password"

    def listener_properties(self) -> dict[str, str]:
        """Broker properties that secure the client and controller listeners and turn on
        the authorizer (KafkaCluster's `client_listener`)."""
        broker = f'username="{BROKER_USER}" password="{self.broker_password}"'
        return {
            "listener.security.protocol.map": "CLIENT:SASL_SSL,CONTROLLER:SASL_SSL",
            "sasl.enabled.mechanisms": SCRAM_MECHANISM,
            "listener.name.client.sasl.enabled.mechanisms": SCRAM_MECHANISM,
            "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
            "listener.name.client.scram-sha-512.sasl.jaas.config": f"{_SCRAM_LOGIN} {broker};",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                f'{_PLAIN_LOGIN} {broker} user_{BROKER_USER}="{self.broker_password}";'
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.keystore.resolve()),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_file.resolve()),
            "ssl.endpoint.identification.algorithm": "https",
            "authorizer.class.name": AUTHORIZER,
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:{SUPER_USER};User:{BROKER_USER}",
            # Topics are an administrator's to create, not a side effect of a typo.
            "auto.create.topics.enable": "false",
        }

    def format_arguments(self) -> list[str]:
        """StorageTool `format` arguments adding both super users' SCRAM credentials."""
        return [
            argument
            for user, password in (
                (SUPER_USER, self.admin_password),
                (BROKER_USER, self.broker_password),
            )
            for argument in ("--add-scram", f"{SCRAM_MECHANISM}=[name={user},password={password}]")
        ]

    def admin_properties(self, bootstrap_servers: str) -> dict[str, str]:
        """The super user's librdkafka client properties."""
        return scram_properties(bootstrap_servers, SUPER_USER, self.admin_password, self.ca_file)


def prepare(directory: Path, host: str) -> SecureProfile:
    """Make or reuse DIR's CA and passwords and a broker certificate naming `host`.
    Raises BrokerError when openssl is missing or fails, or DIR's `admin.json` is not
    the super user's properties."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    profile = SecureProfile(
        directory, _admin_password(directory), _broker_password(directory / "broker.password")
    )
    if not (profile.ca_file.exists() and profile.ca_key.exists()):
        make_ca(profile.ca_file, profile.ca_key)
    make_server_keystore(host, profile.ca_file, profile.ca_key, profile.keystore)
    return profile


def configure(cluster: KafkaCluster, profile: SecureProfile) -> Path:
    """Give a not yet started cluster the profile's listeners, storage credentials and
    the super user's client settings (with which it checks that the nodes are up), and
    write those to `DIR/admin.json` (mode 600) before the storage is formatted with its
    password, so a failed first start cannot lose it. Returns the file's path."""
    cluster.client_listener.update(profile.listener_properties())
    cluster.client_config.update(profile.admin_properties(cluster.bootstrap_servers))
    cluster.format_arguments.extend(profile.format_arguments())
    write_properties(profile.admin_file, profile.admin_properties(cluster.bootstrap_servers))
    return profile.admin_file


def _admin_password(directory: Path) -> str:
    try:
        return kept_password(directory / "admin.json", SUPER_USER)
    except ClientPropertiesError as exc:
        raise BrokerError(f"--secure: {exc}") from None


def _broker_password(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    password = new_password()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    return password
