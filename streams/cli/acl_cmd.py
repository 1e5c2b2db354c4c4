"""`screening acl`: the Kafka ACLs that isolate members, generated from the member list;
with `--apply`, made real on a SASL cluster with a SCRAM user and credentials file per
principal."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
import orjson

from streams.cli.errors import one_line_errors, settings_from_env
from streams.kafka.acl import (
    DEFAULT_APP_ID,
    DEFAULT_CONSOLE,
    DEFAULT_MEMBER_PREFIX,
    DEFAULT_PUBLISHER,
    DEFAULT_WORKER,
    Acl,
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
@click.option("--console-principal", default=DEFAULT_CONSOLE, show_default=True)
@click.option(
    "--app-id",
    envvar="SCREENING_APP_ID",
    default=DEFAULT_APP_ID,
    show_default=True,
    help="the worker's app id: prefix of its internal topics and consumer groups",
)
@click.option(
    "--apply",
    "apply_set",
    is_flag=True,
    help="create the SCRAM users, topics and ACLs on the cluster (needs --admin-config and "
    "--credentials-out) instead of printing",
)
@click.option(
    "--admin-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="--apply: the super user's librdkafka properties JSON (broker --secure DIR/admin.json)",
)
@click.option(
    "--credentials-out",
    type=click.Path(file_okay=False, path_type=Path),
    help="--apply: write each principal's client properties to DIR/<user>.json (mode 600)",
)
def acl(
    members: str,
    output_format: str,
    bootstrap_server: str,
    command_config: str | None,
    member_principal_prefix: str,
    worker_principal: str,
    publisher_principal: str,
    console_principal: str,
    app_id: str,
    apply_set: bool,
    admin_config: Path | None,
    credentials_out: Path | None,
) -> None:
    """Print the ACL set: each member may write only payments.<member> and read only
    decisions.<member> and resolutions.<member>; the worker, the watchlist publisher and
    the fraud desk console get what they use.
    `--format shell` prints kafka-acls.sh commands (a script), `--format json` the
    bindings. `--apply` creates them on the cluster instead, with a SCRAM user (generated
    password) and a credentials file per principal; running it again keeps passwords."""
    if apply_set and (admin_config is None or credentials_out is None):
        raise click.UsageError("--apply needs --admin-config FILE and --credentials-out DIR")
    if not apply_set and (admin_config is not None or credentials_out is not None):
        raise click.UsageError("--admin-config and --credentials-out go with --apply")
    try:
        if output_format not in FORMATS:
            raise AclError(f"format {output_format!r} is not one of {', '.join(FORMATS)}")
        member_ids = parse_members(members)
        principals = Principals(
            member_principal_prefix, worker_principal, publisher_principal, console_principal
        )
        acls = acl_set(member_ids, principals, app_id)
        if admin_config is not None and credentials_out is not None:
            apply_acls(acls, member_ids, app_id, admin_config, credentials_out)
        elif output_format == "json":
            document = {
                "members": list(member_ids),
                "principals": {
                    "worker": principals.worker,
                    "publisher": principals.publisher,
                    "console": principals.console,
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


def apply_acls(
    acls: tuple[Acl, ...],
    members: tuple[str, ...],
    app_id: str,
    admin_config: Path,
    credentials_out: Path,
) -> None:
    """Apply the set and say what was done (never a password)."""
    from streams.kafka.acl_apply import apply, load_admin_config

    config = load_admin_config(admin_config)
    settings = replace(settings_from_env(), app_id=app_id)
    with one_line_errors():
        applied = apply(config, acls, members, credentials_out, settings)
    click.echo(
        f"{len(applied.new_users)} SCRAM user(s) created, {len(applied.kept_users)} kept "
        f"their password; {len(applied.topics_created)} topic(s) created; "
        f"{applied.bindings} ACL binding(s) applied at {config['bootstrap.servers']}",
        err=True,
    )
    for path in applied.files:
        click.echo(str(path))
