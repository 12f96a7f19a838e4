#!/bin/sh
# The browser tests (tests/e2e) drive Debian's Chromium: install it when it is missing.
# Called by `make test`. Uses sudo only when not root. Without apt-get (not Debian) it only
# says what is missing: the browser tests then skip, or fail under CI=true.
set -eu

if command -v chromium >/dev/null 2>&1; then
    echo "ensure_chromium: found $(command -v chromium)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: chromium is missing and apt-get is not available;" \
        "install Chromium yourself for the browser tests (tests/e2e)" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "ensure_chromium: chromium is missing; running: ${SUDO:+$SUDO }apt-get update" \
    "&& ${SUDO:+$SUDO }apt-get install -y chromium"
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
if ! command -v chromium >/dev/null 2>&1; then
    echo "ensure_chromium: apt-get ran but chromium is still not on PATH" >&2
    exit 1
fi
echo "ensure_chromium: installed $(command -v chromium)"
