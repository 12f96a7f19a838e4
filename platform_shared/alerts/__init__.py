"""E-mail alerting for both code locations: failed asset checks and failed runs.

Each location's definitions add ``alert_sensors("<location name>")``; settings come from
``ALERT_*`` environment variables (see ``docs/alerts.md``).
"""

from platform_shared.alerts.check_failures import check_failure_email_sensor
from platform_shared.alerts.mailer import AlertDeliveryError, Mail
from platform_shared.alerts.run_failures import run_failure_email_sensor
from platform_shared.alerts.sensors import alert_sensors, default_alert_status
from platform_shared.alerts.settings import AlertSettings, SettingsError

__all__ = [
    "AlertDeliveryError",
    "AlertSettings",
    "Mail",
    "SettingsError",
    "alert_sensors",
    "check_failure_email_sensor",
    "default_alert_status",
    "run_failure_email_sensor",
]
