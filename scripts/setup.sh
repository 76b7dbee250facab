#!/usr/bin/env bash
# Installs what LSTM Lab needs to build and test on a Debian-like machine: the system packages the
# real-VS-Code and browser tests use, then `npm ci`. Safe to run again; skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
export TMPDIR="${TMPDIR:-/tmp}"

# chromium: the browser the webview and VS Code tests drive; ripgrep: VS Code's search binary;
# libkrb5-dev, build-essential, pkg-config, python3: code-server's native modules build with
# node-gyp; python3-numpy: the export test runs the PyTorch layout's forward pass in numpy.
packages=(chromium ripgrep libkrb5-dev build-essential pkg-config python3 python3-numpy)
missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "setup: please install these Debian packages first: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

# python3-torch (optional): the export tests load exports into PyTorch with it, and `npm run bench`
# compares against it. Without it those tests skip, saying so, and the rest runs.
if [[ "$(dpkg-query -W -f='${Status}' python3-torch 2>/dev/null || true)" != "install ok installed" && "$(id -u)" -eq 0 ]]; then
  echo "setup: installing python3-torch"
  { apt-get install -y -q --no-install-recommends python3-torch </dev/null || { apt-get update -q && apt-get install -y -q --no-install-recommends python3-torch </dev/null; }; } \
    || echo "setup: python3-torch could not be installed; the tests that need torch will skip"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none)
if [[ "$node_major" != 20 ]]; then
  echo "setup: Node.js 20 is required (the test VS Code, code-server 4.100.3, needs it); found: $node_major" >&2
  exit 1
fi

# @vscode/ripgrep (inside code-server) downloads rg in its postinstall unless this cached archive
# exists; the folder is named after the package version and the asset after the ripgrep release
# it pins (see its lib/postinstall.js and lib/download.js). Debian's rg stands in.
case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64) rg_target=aarch64-unknown-linux-musl ;;
  *) echo "setup: no ripgrep recipe for $(uname -m)" >&2; exit 1 ;;
esac
rg_cache="$TMPDIR/vscode-ripgrep-cache-1.15.11"
rg_archive="$rg_cache/ripgrep-v13.0.0-10-$rg_target.tar.gz"
if [[ ! -s "$rg_archive" ]]; then
  mkdir -p "$rg_cache"
  tar -czf "$rg_archive" -C "$(dirname "$(command -v rg)")" rg
fi

# As root, code-server's postinstall refuses to run without unsafe-perm; node-pty's install runs
# `npx node-gyp`, which would wait for a confirmation without npm_config_yes; node-gyp fetches
# Node's headers unless pointed at local ones.
install_env=(npm_config_unsafe_perm=true npm_config_yes=true)
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node.h ]]; then
  install_env+=(npm_config_nodedir=/usr)
fi
env "${install_env[@]}" npm ci --no-audit --no-fund </dev/null
