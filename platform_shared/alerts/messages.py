"""What the alert mails say: pure functions from findings to subject and body text.

No Dagster instance here: the sensors collect :class:`CheckChange` / :class:`RunFailure`
values and these functions turn them into :class:`~platform_shared.alerts.mailer.Mail`.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar
from urllib.parse import quote

from platform_shared.alerts.mailer import Mail

T = TypeVar("T")
_MAX_VALUE_CHARS = 600


class ChangeKind(StrEnum):
    """What happened to a check since the last mail about it."""

    FAILED = "FAILED"
    RECOVERED = "PASSED AGAIN"


@dataclass(frozen=True)
class CheckChange:
    """A check that started failing, or passed again, as the mail reports it."""

    kind: ChangeKind
    asset: str  # asset key as the UI writes it: silver/bus_events
    check: str
    partition: str | None
    severity: str | None  # ERROR | WARN (of the evaluation)
    check_description: str | None  # what the check verifies (its spec)
    result_description: str | None  # what the evaluation found
    metadata: tuple[tuple[str, str], ...]  # the evaluation's metadata as label/text
    run_id: str
    evaluated_at: float  # POSIX timestamp
    group: str | None
    owners: tuple[str, ...]


@dataclass(frozen=True)
class RunFailure:
    """A failed run, as the mail reports it."""

    job: str
    run_id: str
    partition: str | None
    assets: tuple[str, ...]
    message: str | None  # the run failure event's message
    step_errors: tuple[tuple[str, str], ...]  # (step key, error text)


def subject_tag(deployment: str) -> str:
    """``[staging]``: the prefix that tells a reader which deployment a mail is about."""
    return f"[{deployment}]"


def run_url(ui_url: str, run_id: str) -> str:
    """Link to a run in the Dagster UI."""
    return f"{ui_url}/runs/{quote(run_id)}"


def asset_url(ui_url: str, asset: str) -> str:
    """Link to an asset's checks in the Dagster UI."""
    return f"{ui_url}/assets/{quote(asset)}?view=checks"


def group_by_recipients(
    items: Sequence[T], recipients_of: Callable[[T], Iterable[str]]
) -> list[tuple[tuple[str, ...], list[T]]]:
    """Pairs of (recipients, their items): every recipient appears in exactly one pair.

    Items nobody is due (no recipient configured) come back with an empty recipient tuple so
    that the caller can log them rather than drop them silently.
    """
    items_of: dict[str, list[int]] = {}
    orphans: list[int] = []
    for index, item in enumerate(items):
        addresses = list(recipients_of(item))
        if not addresses:
            orphans.append(index)
        for address in addresses:
            positions = items_of.setdefault(address, [])
            if index not in positions:
                positions.append(index)
    grouped: dict[tuple[int, ...], list[str]] = {}
    for address, positions in items_of.items():
        grouped.setdefault(tuple(positions), []).append(address)
    pairs = [(tuple(to), [items[i] for i in positions]) for positions, to in grouped.items()]
    if orphans:
        pairs.append(((), [items[i] for i in orphans]))
    return pairs


def check_changes_mail(
    changes: Sequence[CheckChange],
    to: tuple[str, ...],
    *,
    location: str,
    deployment: str,
    ui_url: str,
) -> Mail:
    """One mail for one or several check changes (a digest when there are several)."""
    failed = [c for c in changes if c.kind is ChangeKind.FAILED]
    recovered = [c for c in changes if c.kind is ChangeKind.RECOVERED]
    tag = subject_tag(deployment)
    if len(changes) == 1:
        (only,) = changes
        what = f"check {only.check} on {only.asset}"
        verb = f"Failed {what}" if only.kind is ChangeKind.FAILED else f"Passed again: {what}"
        subject = f"{tag} {verb} in {location}"
    else:
        parts = []
        if failed:
            parts.append(f"{len(failed)} failed check{'s' if len(failed) > 1 else ''}")
        if recovered:
            parts.append(f"{len(recovered)} passed again")
        subject = f"{tag} {', '.join(parts)} in {location}"
    sections = [_check_section(change, ui_url) for change in [*failed, *recovered]]
    intro = (
        f"Asset checks in code location {location} ({deployment}) changed state: "
        f"{len(failed)} started failing, {len(recovered)} passed again."
    )
    return Mail(subject=subject, body="\n\n".join([intro, *sections, _footer()]), to=to)


def run_failure_mail(
    failure: RunFailure, to: tuple[str, ...], *, location: str, deployment: str, ui_url: str
) -> Mail:
    """The mail for one failed run."""
    lines = [
        f"Run {failure.run_id} of job {failure.job} in code location {location} ({deployment}) failed.",
        "",
        *_fields(
            [
                ("Job", failure.job),
                ("Partition", failure.partition),
                ("Assets", ", ".join(failure.assets) or None),
                ("Run", run_url(ui_url, failure.run_id)),
            ]
        ),
    ]
    if failure.message:
        lines += ["", "What went wrong:", _indent(failure.message)]
    for step, error in failure.step_errors:
        lines += ["", f"Step {step} failed:", _indent(error)]
    subject = f"{subject_tag(deployment)} Run failed: {failure.job} in {location}"
    return Mail(subject=subject, body="\n".join([*lines, "", _footer()]), to=to)


def metadata_text(metadata: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """Metadata values (``MetadataValue`` or plain) as (label, text) pairs, long values cut."""
    pairs = []
    for label, value in metadata.items():
        text = str(getattr(value, "value", value))
        if len(text) > _MAX_VALUE_CHARS:
            text = text[:_MAX_VALUE_CHARS] + " …"
        pairs.append((label, text))
    return tuple(pairs)


def _check_section(change: CheckChange, ui_url: str) -> str:
    owners = ", ".join(change.owners) or None
    evaluated = datetime.fromtimestamp(change.evaluated_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [
        f"{change.kind.value}: check {change.check} on {change.asset}",
        *_fields(
            [
                ("Asset", change.asset),
                ("Check", change.check),
                ("Checks", change.check_description),
                ("Partition", change.partition),
                ("Severity", change.severity),
                ("Group", change.group),
                ("Owners", owners),
                ("Evaluated", evaluated),
                ("Run", run_url(ui_url, change.run_id)),
                ("Asset page", asset_url(ui_url, change.asset)),
            ]
        ),
    ]
    if change.kind is ChangeKind.FAILED:
        lines += [
            "  What is wrong:",
            _indent(change.result_description or "(no description given)", 4),
        ]
    elif change.result_description:
        lines += ["  Result:", _indent(change.result_description, 4)]
    if change.metadata:
        lines += [
            "  Details:",
            *(_indent(f"{label}: {text}", 4) for label, text in change.metadata),
        ]
    return "\n".join(lines)


def _fields(pairs: Iterable[tuple[str, str | None]]) -> list[str]:
    present = [(label, value) for label, value in pairs if value]
    width = max((len(label) for label, _ in present), default=0) + 1
    return [f"  {label + ':':<{width}} {value}" for label, value in present]


def _indent(text: str, spaces: int = 2) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.strip().splitlines())


def _footer() -> str:
    return "-- \nSent by the platform's alert sensors (platform_shared.alerts, see docs/alerts.md)."
