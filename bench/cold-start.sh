#!/usr/bin/env bash
# Binary size and cold-start init time of every function, next to a
# hello-world lambda_runtime binary built with the same release profile.
# Builds the release binaries (host target, no cross-compilation), then
# bench/cold_start.py runs each one RUNS times against a fake Lambda Runtime
# API and prints a table. Usage:
#   bench/cold-start.sh [--no-build] [-j N]     (RUNS=15 by default)
# CARGO_TARGET_DIR is honoured.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${RUNS:-15}"
build=1
jobs=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0; shift ;;
    -j) jobs=(-j "$2"); shift 2 ;;
    *) echo "usage: $0 [--no-build] [-j N]" >&2; exit 2 ;;
  esac
done
functions=(webhook-ingest enrich score craft dispatch-tick decay-cron prospect breaker-evaluator admin)
bins=(hello "${functions[@]}")
if [[ $build == 1 ]]; then
  packages=()
  for b in "${bins[@]}"; do packages+=(-p "$b"); done
  cargo build --release ${jobs[@]+"${jobs[@]}"} "${packages[@]}"
fi
bin_dir="${CARGO_TARGET_DIR:-$root/target}/release"
exec python3 "$root/bench/cold_start.py" "$bin_dir" "$runs" "${bins[@]}"
