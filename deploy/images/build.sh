#!/usr/bin/env bash
# Builds Anvil's context-engine and trainer images without Docker and without any registry, from
# this checkout and Debian packages only, and saves each as an OCI archive a customer can push:
#
#   deploy/images/build.sh            # after ./mvnw -pl cli -am package
#
# Output in deploy/target/images/ (ANVIL_IMAGES_OUT), for IMAGE in context-engine and trainer:
#   anvil-IMAGE-VERSION.oci.tar        podman save --format oci-archive (skopeo copy oci-archive:... docker://REGISTRY/anvil/IMAGE:VERSION)
#   anvil-IMAGE-VERSION.digest         the manifest digest inside that archive (what a registry will show)
#   anvil-IMAGE-VERSION.cdx.json       CycloneDX SBOM: Debian packages, the Java runtime, every jar
#   sizes.tsv                          each image's size in bytes
#
# The image is the Dockerfile's run-time stage (deploy/docker/Dockerfile, from 'AS runtime' on: the
# same ENV, WORKDIR, USER, ENTRYPOINT, CMD and EXPOSE) on a base of our own instead of distroless:
# the Debian packages a jlink'ed Java runtime and the native libraries need (libc6, libstdc++6 and
# their dependencies, unpacked by mmdebstrap --variant=extract: no shell, no dpkg, no apt), a
# passwd naming user 65532, and a Java runtime jlink'ed from the local JDK at /opt/java. The
# Debian part is cached in ~/.cache/anvil/images (ANVIL_IMAGE_CACHE) keyed by the package list and
# the versions apt would install; everything else is rebuilt from the checkout every run.
# Needs root, podman, runc and mmdebstrap (scripts/system-deps.sh installs them).
set -euo pipefail
images_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$images_dir/../.." && pwd)
out=${ANVIL_IMAGES_OUT:-$repo/deploy/target/images}
cache=${ANVIL_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anvil/images}
java_home=${ANVIL_IMAGE_JDK:-${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}}
suite=bookworm
# What the JVM (glibc), ONNX Runtime, libtorch and the tokenizers (libstdc++, libgcc_s) link to.
packages=(libc6 libgcc-s1 libstdc++6)
# jdeps --print-module-deps over the CLI and its libraries, plus the service providers jdeps cannot
# see (zip file systems, DNS names) and the Vector API the ENTRYPOINT adds.
modules=java.base,java.compiler,java.desktop,java.naming,java.net.http,java.rmi,java.scripting,java.security.jgss,java.security.sasl,java.sql,jdk.incubator.vector,jdk.jfr,jdk.management,jdk.unsupported,jdk.zipfs,jdk.naming.dns

die() { echo "build.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (podman with the vfs driver, mmdebstrap): run it as root"
for tool in podman runc mmdebstrap; do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/system-deps.sh (or apt-get install podman runc mmdebstrap)"
done
cli="$repo/cli/target"
[ -f "$cli/anvil-cli.jar" ] || die "$cli/anvil-cli.jar is missing: run ./mvnw -pl cli -am package first"
[ -x "$java_home/bin/jlink" ] || die "no jlink in $java_home (set ANVIL_IMAGE_JDK to a JDK 21 or newer)"

version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$repo/deploy/helm/anvil/Chart.yaml")
[ -n "$version" ] || die "no appVersion in deploy/helm/anvil/Chart.yaml"
revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  revision="$revision-dirty"
fi
source_url=${ANVIL_IMAGE_SOURCE:-$(git -C "$repo" config --get remote.origin.url 2>/dev/null || echo "anvil git checkout (no remote)")}
# File times in the layers and the images' creation time: the last commit's, not the build's. (Two
# builds of one checkout still differ in digest: the jlink'ed runtime is not byte-for-byte stable.)
epoch=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)

# Where the build resolved the jars: the SBOM names those without a pom.properties from it.
maven_repo=${ANVIL_MAVEN_REPO:-$HOME/.m2/repository}
export CONTAINERS_CONF="$images_dir/containers.conf"
storage="$out/storage"
pm() { podman --root "$storage/root" --runroot "$storage/run" --storage-driver vfs "$@"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$cache"

# --- The Debian part, cached by the package list and the versions apt would install today. ---
candidates=$(apt-cache policy "${packages[@]}" 2>/dev/null | awk '/^[^ ]/{p=$1} /Candidate:/{print p, $2}' || true)
key=$(printf '%s\n' "$suite" "${packages[*]}" "$candidates" | sha256sum | cut -c1-16)
debian="$cache/debian-$suite-$key"
if [ ! -f "$debian.tar" ] || [ ! -f "$debian.packages" ]; then
  echo "build.sh: unpacking ${packages[*]} from Debian $suite with mmdebstrap (cached as $debian.tar)" >&2
  mmdebstrap --quiet --variant=extract --include="$(IFS=,; echo "${packages[*]}")" \
    --extract-hook='for d in "$1"/var/cache/apt/archives/*.deb; do dpkg-deb --show --showformat="\${Package} \${Version} \${Architecture}\n" "$d"; done >"$1/.packages"' \
    "$suite" "$work/debian" >&2
  mv "$work/debian/.packages" "$work/debian.packages"
  # What apt and dpkg left behind (empty folders and settings): no package manager in the image.
  rm -rf "$work/debian/etc/apt" "$work/debian/etc/dpkg" "$work/debian/var/cache/apt" \
    "$work/debian/var/lib/apt" "$work/debian/var/lib/dpkg" "$work/debian/var/log" "$work/debian/etc/resolv.conf" \
    "$work/debian/etc/hostname" "$work/debian/etc/fstab"
  tar -C "$work/debian" --numeric-owner --sort=name --mtime=@0 -cf "$work/debian.tar" .
  mv "$work/debian.packages" "$debian.packages"
  mv "$work/debian.tar" "$debian.tar"
  rm -rf "$work/debian"
fi

# --- The base: Debian's libraries, user 65532 and a jlink'ed Java runtime. ---
root="$work/base"
mkdir -p "$root"
tar -C "$root" -xf "$debian.tar"
# The runtime makes /dev for each container; the device nodes mmdebstrap left are not needed.
rm -rf "$root/dev" && mkdir "$root/dev"
mkdir -p "$root/etc" "$root/usr/bin" "$root/tmp" "$root/var/lib/anvil" "$root/opt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
chown 65532:65532 "$root/var/lib/anvil"
# JDK 24+ warns on stderr at every start when protobuf uses sun.misc.Unsafe; the runtime carries
# the switch itself, so that the ENTRYPOINT stays the Dockerfile's (whose Java 21 rejects it).
jlink_options=()
if "$java_home/bin/java" --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1; then
  jlink_options+=(--add-options=--sun-misc-unsafe-memory-access=allow)
fi
# zip-6: the class archive shrinks by ~30 MB (105 -> 75 MB of runtime) for a little start-up time.
"$java_home/bin/jlink" --add-modules "$modules" --output "$root/opt/java" --strip-debug \
  --no-man-pages --no-header-files --compress=zip-6 "${jlink_options[@]}" >&2
ln -s /opt/java/bin/java "$root/usr/bin/java"
tar -C "$root" --numeric-owner --sort=name --mtime="@$epoch" -cf "$work/base.tar" .
java_version=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"$/\1/p' "$root/opt/java/release")
java_vendor=$(sed -n 's/^IMPLEMENTOR="\(.*\)"$/\1/p' "$root/opt/java/release")

rm -rf "$storage"
base_ref="localhost/anvil/base:$key"
pm import --quiet "$work/base.tar" "$base_ref" >/dev/null

# --- Anvil's files (deploy/docker/stage.sh, as the Dockerfile's build stage runs it). ---
# Kept in $out/context (hard links to the build's jars): OciImageTest compares the images with it.
bash "$repo/deploy/docker/stage.sh" "$repo" "$out/context" >&2

# The Dockerfile's run-time stages, reading the staged files from the build context instead of the
# build stage; trainer-cuda (libtorch for CUDA from a build context) is not built here.
{
  echo 'ARG RUNTIME_IMAGE'
  awk 'index($0, "FROM ${RUNTIME_IMAGE} AS runtime") == 1 {on = 1}
       index($0, "FROM runtime AS trainer-cuda") == 1 {on = 0} on' "$repo/deploy/docker/Dockerfile" \
    | sed 's#^COPY --from=build /staged/#COPY #'
} >"$work/Containerfile"
grep -q '^COPY context-engine/ /' "$work/Containerfile" && grep -q '^COPY libtorch-cpu/ /' "$work/Containerfile" \
  || die "deploy/docker/Dockerfile's run-time stages no longer COPY --from=build /staged/context-engine/ / and libtorch-cpu/: update build.sh"

: >"$out/sizes.tsv"
for image in context-engine trainer; do
  ref="localhost/anvil/$image:$version"
  name="anvil-$image-$version"
  echo "build.sh: building $ref" >&2
  labels=(
    "org.opencontainers.image.title=anvil-$image"
    "org.opencontainers.image.source=$source_url"
    "org.opencontainers.image.revision=$revision"
    "org.opencontainers.image.version=$version"
    "org.opencontainers.image.created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
    "org.opencontainers.image.base.name=debian-$suite-extract:$key"
  )
  args=()
  for l in "${labels[@]}"; do args+=(--label "$l" --annotation "$l"); done
  pm build --quiet --format oci --pull=never --network none --timestamp "$epoch" \
    --build-arg RUNTIME_IMAGE="$base_ref" --target "$image" -t "$ref" "${args[@]}" \
    -f "$work/Containerfile" "$out/context" >/dev/null
  rm -f "$out/$name.oci.tar"
  # Uncompressed: the layers are mostly jars (compressed already), and the archive then holds the
  # very manifest the local store has, so the digest below is also the one podman runs.
  pm save --quiet --uncompressed --format oci-archive -o "$out/$name.oci.tar" "$ref"
  digest=$(tar -xOf "$out/$name.oci.tar" index.json | /usr/bin/python3 -c \
    'import json,sys; print(json.load(sys.stdin)["manifests"][0]["digest"])')
  [ "$digest" = "$(pm image inspect --format '{{.Digest}}' "$ref")" ] \
    || die "$name.oci.tar holds manifest $digest, not the one of $ref"
  echo "$digest" >"$out/$name.digest"
  size=$(pm image inspect --format '{{.Size}}' "$ref")
  printf '%s\t%s\t%s\n' "$image" "$size" "$(stat -c %s "$out/$name.oci.tar")" >>"$out/sizes.tsv"
  /usr/bin/python3 "$images_dir/sbom.py" --image "anvil/$image" --version "$version" \
    --digest "$(cat "$out/$name.digest")" --revision "$revision" --epoch "$epoch" \
    --debian "$debian.packages" --java "$java_vendor" "$java_version" \
    --lib "$out/context/$image/opt/anvil" --maven-repo "$maven_repo" >"$out/$name.cdx.json"
  echo "build.sh: $out/$name.oci.tar ($(cat "$out/$name.digest"), $((size / 1024 / 1024)) MiB)" >&2
done
