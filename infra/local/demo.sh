#!/usr/bin/env bash
# Runs the demo end to end on the embedded local stack (no AWS account,
# no Docker): installs the pinned local tools on first use, builds, runs.
# --serve: then serves the operator console with the demo's data on
# 127.0.0.1:8077 (CONSOLE_PORT) and prints a sign-in, until Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bash infra/local/setup.sh
cargo build --quiet -p local-stack --bin demo
exec "$root/target/debug/demo" "$@"
