#!/usr/bin/env bash
# Installs what the tests need from the system rather than from Maven, so that ./test passes on a
# fresh machine: today only Debian's python3-onnx, the ONNX reference checker that OnnxExportTest
# runs under /usr/bin/python3 (an independent check of our exporter; PyPI is out of reach here).
# As root on Debian it installs what is missing with apt-get; anywhere else it fails with one line
# that says what to install. It never skips: a check that cannot run is a failure.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || missing+=(python3-onnx)

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]} with apt-get (needed by the tests)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || {
    echo "system-deps: python3-onnx installed, but /usr/bin/python3 cannot import onnx" >&2
    exit 1
  }
else
  echo "system-deps: the tests need ${missing[*]}: run 'sudo apt-get install ${missing[*]}' (Debian) and ./test again" >&2
  exit 1
fi
