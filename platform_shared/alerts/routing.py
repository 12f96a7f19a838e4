"""Who is told about an asset: its group and owners in the code location, mapped to addresses."""

from collections.abc import Iterable

import dagster as dg

from platform_shared.alerts.settings import RecipientRules, unique


def group_and_owners(
    repository_def: dg.RepositoryDefinition, asset_key: dg.AssetKey
) -> tuple[str | None, tuple[str, ...]]:
    """The asset's group and owners; (None, ()) for a key the location doesn't define."""
    graph = repository_def.asset_graph
    if not graph.has(asset_key):
        return None, ()
    node = graph.get(asset_key)
    return node.group_name, tuple(node.owners)


def recipients_for_assets(
    rules: RecipientRules,
    repository_def: dg.RepositoryDefinition,
    asset_keys: Iterable[dg.AssetKey],
) -> tuple[str, ...]:
    """Defaults plus the group and owner recipients of every asset in ``asset_keys``."""
    found = list(rules.default)
    for key in asset_keys:
        found.extend(rules.for_asset(*group_and_owners(repository_def, key)))
    return unique(found)
