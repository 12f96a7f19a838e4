"""E-mail when a run of the code location fails.

Dagster's ``make_email_on_run_failure_sensor`` doesn't fit our settings: it needs the
password as a plain string when the definitions load, always logs in, knows no unencrypted
relay, sets no timeout and builds the message by string formatting. This sensor is a
``@run_failure_sensor`` that reuses the shared mailer and settings instead, and sends the
mail to the defaults plus the group/owner recipients of the assets the run targeted.
"""

from collections.abc import Sequence

import dagster as dg

from platform_shared.alerts.mailer import deliver_all
from platform_shared.alerts.messages import RunFailure, run_failure_mail
from platform_shared.alerts.routing import recipients_for_assets
from platform_shared.alerts.settings import AlertSettings
from platform_shared.deployment import get_deployment


def error_text(error: object) -> str:
    """A ``SerializableErrorInfo`` chain as text: each message, outermost first, no stack."""
    lines = []
    while error is not None:
        message = str(getattr(error, "message", error)).strip()
        if message:
            lines.append(message)
        error = getattr(error, "cause", None) or getattr(error, "context", None)
    return "\n".join(lines)


def run_assets(
    run: dg.DagsterRun, repository_def: dg.RepositoryDefinition | None
) -> Sequence[dg.AssetKey]:
    """The assets a run targeted: its selection, else every asset of its job."""
    if run.asset_selection:
        return sorted(run.asset_selection, key=lambda key: key.to_user_string())
    if repository_def is None or not repository_def.has_job(run.job_name):
        return []
    layer = repository_def.get_job(run.job_name).asset_layer
    return sorted(layer.executable_asset_keys, key=lambda key: key.to_user_string())


def describe_failure(
    context: dg.RunFailureSensorContext, assets: Sequence[dg.AssetKey]
) -> RunFailure:
    """What the mail says about a failed run that targeted ``assets``."""
    run = context.dagster_run
    step_errors = tuple(
        (event.step_key or "?", error_text(getattr(event.event_specific_data, "error", None)))
        for event in context.get_step_failure_events()
    )
    return RunFailure(
        job=run.job_name,
        run_id=run.run_id,
        partition=run.tags.get("dagster/partition"),
        assets=tuple(key.to_user_string() for key in assets),
        message=context.failure_event.message,
        step_errors=step_errors,
    )


def run_failure_email_sensor(
    name: str,
    location_name: str,
    *,
    minimum_interval_seconds: int = 30,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
) -> dg.SensorDefinition:
    """A sensor mailing every failed run of its code location (one mail per run).

    Settings are read from the environment at each tick (``AlertSettings.from_env``). Like
    every Dagster run-status sensor, it starts from the newest run event when first enabled.
    """

    @dg.run_failure_sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=f"E-mails when a run of {location_name} fails (see docs/alerts.md).",
    )
    def _run_failure_email(context: dg.RunFailureSensorContext) -> None:
        settings = AlertSettings.from_env()
        assets = run_assets(context.dagster_run, context.repository_def)
        failure = describe_failure(context, assets)
        to = (
            recipients_for_assets(settings.recipients, context.repository_def, assets)
            if context.repository_def is not None
            else settings.recipients.default
        )
        mail = run_failure_mail(
            failure,
            to,
            location=location_name,
            deployment=get_deployment().value,
            ui_url=settings.ui_url,
        )
        deliver_all([mail], settings, context.log)

    return _run_failure_email
