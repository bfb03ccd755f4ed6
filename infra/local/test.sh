#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and property tests, the
# integration tests against the local emulators (each test provisions its
# own stack from infra/template.yaml), every handler against events/, and
# the template through cfn-lint and sam validate, and the reply classifier
# over its labelled set (the same command a user runs on their own).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bash infra/local/setup.sh
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --quiet --workspace --all-targets -- -D warnings
echo "== cargo test (unit, property, integration, events, template lint)"
cargo test --workspace -- --show-output
echo "== the reply classifier over the repository's labelled set (precision, recall, confusion)"
cargo run --quiet -p local-stack --bin classify
