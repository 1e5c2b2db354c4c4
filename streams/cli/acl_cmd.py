"""`screening acl`: the Kafka ACLs that isolate members, generated from the member list."""

from __future__ import annotations

import click
import orjson

from streams.kafka.acl import (
    DEFAULT_APP_ID,
    DEFAULT_MEMBER_PREFIX,
    DEFAULT_PUBLISHER,
    DEFAULT_WORKER,
    AclError,
    Principals,
    acl_documents,
    acl_set,
    parse_members,
    shell_script,
    validate_bootstrap,
)

FORMATS = ("shell", "json")


@click.command()
@click.option(
    "--members",
    envvar="SCREENING_MEMBERS",
    default="",
    help="comma-separated member ids (default: SCREENING_MEMBERS)",
)
@click.option("--format", "output_format", default="shell", show_default=True, help="shell or json")
@click.option(
    "--bootstrap-server",
    envvar="KAFKA_BOOTSTRAP_SERVERS",
    default="127.0.0.1:9092",
    show_default=True,
    help="broker the kafka-acls.sh commands talk to (default: KAFKA_BOOTSTRAP_SERVERS)",
)
@click.option(
    "--command-config",
    default=None,
    help="admin client properties file for kafka-acls.sh (TLS, SASL)",
)
@click.option(
    "--member-principal-prefix",
    default=DEFAULT_MEMBER_PREFIX,
    show_default=True,
    help="a member's principal is this prefix and its id",
)
@click.option("--worker-principal", default=DEFAULT_WORKER, show_default=True)
@click.option("--publisher-principal", default=DEFAULT_PUBLISHER, show_default=True)
@click.option(
    "--app-id",
    envvar="SCREENING_APP_ID",
    default=DEFAULT_APP_ID,
    show_default=True,
    help="the worker's app id: prefix of its internal topics and consumer groups",
)
def acl(
    members: str,
    output_format: str,
    bootstrap_server: str,
    command_config: str | None,
    member_principal_prefix: str,
    worker_principal: str,
    publisher_principal: str,
    app_id: str,
) -> None:
    """Print the ACL set: each member may write only payments.<member> and read only
    decisions.<member>; the worker and the watchlist publisher get what they use.
    `--format shell` prints kafka-acls.sh commands (a script), `--format json` the
    bindings."""
    try:
        if output_format not in FORMATS:
            raise AclError(f"format {output_format!r} is not one of {', '.join(FORMATS)}")
        member_ids = parse_members(members)
        principals = Principals(member_principal_prefix, worker_principal, publisher_principal)
        acls = acl_set(member_ids, principals, app_id)
        if output_format == "json":
            document = {
                "members": list(member_ids),
                "principals": {
                    "worker": principals.worker,
                    "publisher": principals.publisher,
                    "members": {m: principals.member(m) for m in member_ids},
                },
                "app_id": app_id,
                "acls": acl_documents(acls),
            }
            click.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
        else:
            validate_bootstrap(bootstrap_server)
            click.echo(shell_script(acls, bootstrap_server, command_config), nl=False)
    except AclError as exc:
        raise click.ClickException(str(exc)) from None
