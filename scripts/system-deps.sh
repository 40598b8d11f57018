#!/usr/bin/env bash
# Installs what the tests need from the system rather than from Maven, so that ./test passes on a
# fresh machine: Debian's python3-onnx, the ONNX reference checker that OnnxExportTest runs under
# /usr/bin/python3 (an independent check of our exporter; PyPI is out of reach here); and Node.js
# with npm, for McpTypeScriptClientTest's agent (the official TypeScript MCP SDK, installed from
# the lock file in context-engine/src/test/node/mcp-client with npm ci); and Chromium with its
# chromedriver, the browser ConsoleBrowserTest drives through Selenium (the admin console).
# A JDK 17, for OpenSearchNode: OpenSearch 2 installs a security manager, which the JDK that runs
# Anvil (24 and later) no longer has.
# iproute2 and iptables, for scripts/no-egress.sh (./test runs the demo in a network namespace
# with only loopback). As root, podman, runc, mmdebstrap, uidmap and slirp4netns too, for
# deploy/images/build.sh and OciImageTest (which build and run the images; they need root, and are
# skipped with a line saying so without it).
# As root on Debian it installs what is missing with apt-get; anywhere else it fails with one line
# that says what to install. It never skips: a check that cannot run is a failure.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || missing+=(python3-onnx)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] || missing+=(openjdk-17-jre-headless)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
if [ "$(id -u)" = 0 ]; then
  for tool in podman runc mmdebstrap newuidmap slirp4netns; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      case "$tool" in newuidmap) missing+=(uidmap) ;; *) missing+=("$tool") ;; esac
    fi
  done
fi

# The TypeScript MCP SDK, exactly as locked; npm's cache makes a second install offline.
node_client() {
  local dir
  dir="$(dirname "${BASH_SOURCE[0]}")/../context-engine/src/test/node/mcp-client"
  if [ ! -f "$dir/node_modules/@modelcontextprotocol/sdk/package.json" ]; then
    echo "system-deps: installing the TypeScript MCP SDK for the tests (npm ci in $dir)" >&2
    (cd "$dir" && npm ci --prefer-offline --no-audit --no-fund >/dev/null)
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  node_client
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]} with apt-get (needed by the tests)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || {
    echo "system-deps: python3-onnx installed, but /usr/bin/python3 cannot import onnx" >&2
    exit 1
  }
  node_client
else
  echo "system-deps: the tests need ${missing[*]}: run 'sudo apt-get install ${missing[*]}' (Debian) and ./test again" >&2
  exit 1
fi
