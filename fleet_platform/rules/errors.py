"""The exception a parser raises to reject a whole file."""

from fleet_platform.rules.reasons import FileRejection


class FileRejected(Exception):
    """A landed file is rejected as a whole; ``detail`` tells the operator what to fix."""

    def __init__(self, reason: FileRejection, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
