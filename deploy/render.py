"""Fill the ``${NAME}`` placeholders of a deployment template from the environment.

    python deploy/render.py TEMPLATE [OUTPUT]

Used by CI for ``dagster_cloud.yaml`` (before ``dagster-cloud ci init``) and for the IAM
policy documents of ``deploy/iam/``. Every placeholder must have a non-empty value: a
missing one stops with its name, so nothing is deployed with a hole in an ARN.
"""

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    """The names of the placeholders in ``text``."""
    return set(PLACEHOLDER.findall(text))


def render(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every ``${NAME}`` replaced; raises ``KeyError`` naming the missing ones."""
    missing = sorted(name for name in placeholders(text) if not values.get(name))
    if missing:
        raise KeyError(f"set these variables before rendering: {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        rendered = render(Path(argv[0]).read_text(), os.environ)
    except KeyError as error:
        print(f"{argv[0]}: {error.args[0]}", file=sys.stderr)
        return 1
    if len(argv) == 2:
        Path(argv[1]).write_text(rendered)
    else:
        sys.stdout.write(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
