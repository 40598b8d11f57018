#!/usr/bin/env bash
# Lays out the file systems of Anvil's images from a built checkout (./mvnw package -pl cli -am):
#   OUT/context-engine/opt/anvil   the CLI and its libraries, without libtorch
#   OUT/trainer/opt/anvil          the same with libtorch for the CPU (pytorch-native-cpu)
#   OUT/trainer-cuda/opt/anvil     without libtorch: the CUDA build is mounted or baked in at /opt/libtorch
#   OUT/libtorch-cpu/opt/anvil     only libtorch for the CPU: the Dockerfile's trainer is context-engine + this
# Each of the first three also holds the example policy pack (the default when no ConfigMap is
# mounted). Jars are hard-linked from the build where the file system allows.
# The Dockerfile runs this in its build stage; ImageTest runs it too and starts the result.
set -euo pipefail
src=$(cd "${1:?usage: stage.sh REPO OUT}" && pwd)
out=${2:?usage: stage.sh REPO OUT}
target="$src/cli/target"
[ -f "$target/anvil-cli.jar" ] || { echo "stage.sh: $target/anvil-cli.jar missing: build the cli first" >&2; exit 1; }

stage() { # name, then 'cpu' to keep libtorch for the CPU
  local root="$out/$1/opt/anvil"
  rm -rf "${out:?}/$1"
  mkdir -p "$root/lib" "$root/examples"
  cp "$target/anvil-cli.jar" "$root/"
  for jar in "$target"/lib/*.jar; do
    case "$(basename "$jar")" in
      pytorch-native-cpu-*) [ "${2:-}" = cpu ] || continue ;;
    esac
    ln "$jar" "$root/lib/" 2>/dev/null || cp "$jar" "$root/lib/"
  done
  cp -r "$src/examples/policy-pack" "$root/examples/"
  rm -rf "$root/examples/policy-pack/tests"
}
stage context-engine
stage trainer cpu
stage trainer-cuda
rm -rf "${out:?}/libtorch-cpu"
mkdir -p "$out/libtorch-cpu/opt/anvil/lib"
for jar in "$target"/lib/pytorch-native-cpu-*.jar; do
  ln "$jar" "$out/libtorch-cpu/opt/anvil/lib/" 2>/dev/null || cp "$jar" "$out/libtorch-cpu/opt/anvil/lib/"
done
