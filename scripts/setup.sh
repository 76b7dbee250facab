#!/usr/bin/env bash
# Installs what LSTM Lab needs to build and test on a Debian-like machine: system packages for the
# real-VS-Code tests (Chromium, and what code-server's native modules build with), then `npm ci`.
# Safe to run again; skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(chromium ripgrep libkrb5-dev build-essential pkg-config python3 git)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install these Debian packages first: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# code-server's ripgrep dependency downloads its binary at install time unless a cached archive
# is present; offer Debian's rg instead.
rg_version=1.15.11
rg_cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-${rg_version}"
rg_archive="$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -s "$rg_archive" ]; then
  mkdir -p "$rg_cache"
  tar -C /usr/bin -czf "$rg_archive" rg
fi

# code-server's install script refuses to run as root without these.
export npm_config_unsafe_perm=true npm_config_yes=true
npm ci --no-audit --no-fund
