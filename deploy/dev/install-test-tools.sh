#!/usr/bin/env bash
# Installs the external tools some tests run when they are missing: promtool (Debian package
# `prometheus`), Docker Compose v1 (`docker-compose`) and a PostgreSQL server for the
# console's database tests (`postgresql`; the tests start a throwaway cluster of their own)
# and Chromium for the console's browser tests (`chromium`, driven by Playwright).
# Silent when both are present. Installs only as root (CI, a container): on a person's
# machine the `prometheus` package would also start a Prometheus server as a service, so
# there it names the packages instead. Never fails: where it cannot install (no apt-get,
# not root, no mirror) it says so in one line and the tests skip there.
set -u

missing=""
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing="$missing postgresql"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0

say() { echo "install-test-tools:$missing not installed ($1); their tests will skip" >&2; }

if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    say "installed only as root: apt-get install$missing"
    exit 0
fi

log=$(mktemp)
# shellcheck disable=SC2086  # $missing is a word list
if apt-get update -q >"$log" 2>&1 &&
    env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; then
    echo "install-test-tools: installed$missing" >&2
else
    say "apt-get failed, see $log"
    exit 0
fi
rm -f "$log"
