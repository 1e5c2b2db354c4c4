"""`screening rules apply FILE`, `rules list` and `rules delete`: the velocity rules on the
compacted `rules` topic, picked up by running workers without a restart."""

from __future__ import annotations

from pathlib import Path

import click

from streams.cli.errors import friendly, settings_from_env
from streams.kafka import topics
from streams.velocity.rules_file import load_rules
from streams.velocity.rules_topic import delete_rules, publish_rules, read_rule_set


@click.group()
def rules() -> None:
    """Manage the velocity rules."""


@rules.command("apply")
@click.argument("file", type=click.Path(path_type=Path))
@friendly
def apply(file: Path) -> None:
    """Validate every rule in FILE (YAML or JSON), then publish them to the `rules` topic.

    A rule with `enabled: false` stays listed but stops applying; rules not in FILE are
    left as they are (`screening rules delete` removes one)."""
    settings = settings_from_env()
    loaded = load_rules(file)
    publish_rules(settings, loaded)
    for rule in loaded:
        state = "enabled" if rule.enabled else "disabled"
        click.echo(f"{rule.rule_id} {rule.version} {rule.mode} {state}")
    click.echo(f"applied {len(loaded)} rules from {file} to {topics.RULES}", err=True)


@rules.command("delete")
@click.argument("rule_ids", nargs=-1, required=True)
@friendly
def delete(rule_ids: tuple[str, ...]) -> None:
    """Remove rules by id from the `rules` topic."""
    delete_rules(settings_from_env(), rule_ids)
    click.echo(f"deleted {len(rule_ids)} rules from {topics.RULES}", err=True)


@rules.command("list")
@friendly
def list_rules() -> None:
    """Print the rules in force (the `rules` topic replayed to its end)."""
    rule_set = read_rule_set(settings_from_env())
    click.echo(f"rule set {rule_set.version}")
    for rule in sorted(rule_set.rules.values(), key=lambda r: r.rule_id):
        click.echo(
            f"{rule.rule_id:<28} {rule.version} {rule.mode:<7} "
            f"{'enabled ' if rule.enabled else 'disabled'} {rule.key}/{rule.window_text} "
            f"{rule.measure} >= {rule.threshold} -> {rule.action}"
        )
