"""Writes the CycloneDX 1.5 SBOM of one Anvil image (deploy/images/build.sh runs it).

It lists what the image holds, read from the files that went into it rather than from a build
graph: every jar under /opt/anvil (Maven coordinates from the jar's own pom.properties, SHA-256 of
the file), the Debian packages of the base (as mmdebstrap unpacked them) and the jlink'ed Java
runtime. Standard library only, so Debian's /usr/bin/python3 runs it.
"""

import argparse
import datetime
import hashlib
import json
import os
import sys
import urllib.parse
import uuid
import zipfile


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def maven_coordinates(jar):
    """(group, artifact, version) from the pom.properties that names this jar, else None."""
    base = os.path.basename(jar)[: -len(".jar")]
    found = []
    with zipfile.ZipFile(jar) as z:
        for name in z.namelist():
            if name.startswith("META-INF/maven/") and name.endswith("/pom.properties"):
                props = {}
                for line in z.read(name).decode("utf-8", "replace").splitlines():
                    if "=" in line and not line.startswith("#"):
                        k, v = line.split("=", 1)
                        props[k.strip()] = v.strip()
                if {"groupId", "artifactId", "version"} <= props.keys():
                    found.append((props["groupId"], props["artifactId"], props["version"]))
    # A shaded jar holds the pom.properties of what it shades: take the one named like the file.
    for g, a, v in found:
        if base == f"{a}-{v}" or base.startswith(f"{a}-{v}-") or base == a:
            return g, a, v
    return found[0] if len(found) == 1 else None


def quote(v):
    """Percent-encodes a purl name or version ('+' is %2B, as the purl specification asks)."""
    return urllib.parse.quote(v, safe="")


def repository_index(repo):
    """file name -> paths of that name in a Maven repository (~/.m2/repository)."""
    index = {}
    if repo and os.path.isdir(repo):
        for dirpath, _, files in os.walk(repo):
            for f in files:
                if f.endswith(".jar"):
                    index.setdefault(f, []).append(os.path.join(dirpath, f))
    return index


def from_repository(index, repo, jar, digest):
    """(group, artifact, version) of the identical file in the Maven repository the build used.

    Jars built by Gradle carry no pom.properties; where the build resolved them (the repository's
    layout is group/path/artifact/version/file) names them, checked by content, not by name.
    """
    for candidate in index.get(os.path.basename(jar), []):
        parts = os.path.relpath(candidate, repo).split(os.sep)
        if len(parts) < 4 or os.path.getsize(candidate) != os.path.getsize(jar):
            continue
        if sha256(candidate) == digest:
            return ".".join(parts[:-3]), parts[-3], parts[-2]
    return None


def jar_components(root, repo):
    index = repository_index(repo)
    components = []
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".jar"):
                continue
            path = os.path.join(dirpath, f)
            in_image = "/opt/anvil/" + os.path.relpath(path, root)
            c = {"type": "library", "bom-ref": in_image}
            digest = sha256(path)
            gav = maven_coordinates(path) or from_repository(index, repo, path, digest)
            if gav:
                g, a, v = gav
                c.update(group=g, name=a, version=v, purl=f"pkg:maven/{quote(g)}/{quote(a)}@{quote(v)}?type=jar")
            else:
                c["name"] = f[: -len(".jar")]
            c["hashes"] = [{"alg": "SHA-256", "content": digest}]
            c["properties"] = [{"name": "anvil:path", "value": in_image}]
            components.append(c)
    return sorted(components, key=lambda c: c["bom-ref"])


def debian_components(packages_file):
    components = []
    with open(packages_file) as f:
        for line in f:
            if not line.strip():
                continue
            name, version, arch = line.split()
            components.append(
                {
                    "type": "library",
                    "bom-ref": f"deb:{name}",
                    "name": name,
                    "version": version,
                    "purl": f"pkg:deb/debian/{quote(name)}@{quote(version)}?arch={arch}&distro=debian-12",
                    "supplier": {"name": "Debian"},
                }
            )
    return sorted(components, key=lambda c: c["name"])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--image", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--digest", required=True)
    p.add_argument("--revision", required=True)
    p.add_argument("--epoch", type=int, required=True)
    p.add_argument("--debian", required=True, help="'package version arch' lines")
    p.add_argument("--java", nargs=2, metavar=("VENDOR", "VERSION"), required=True)
    p.add_argument("--lib", required=True, help="the staged /opt/anvil of the image")
    p.add_argument("--maven-repo", help="the Maven repository the build resolved the jars from")
    a = p.parse_args()

    vendor, java_version = a.java
    java = {
        "type": "platform",
        "bom-ref": "/opt/java",
        "name": "java-runtime",
        "version": java_version,
        "description": "jlink'ed from the build machine's JDK",
        "supplier": {"name": vendor},
        "purl": f"pkg:generic/java-runtime@{quote(java_version)}?vendor={quote(vendor)}",
        "properties": [{"name": "anvil:path", "value": "/opt/java"}],
    }
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        # The same image gives the same serial number: it is derived from the digest.
        "serialNumber": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, a.image + "@" + a.digest)),
        "version": 1,
        "metadata": {
            "timestamp": datetime.datetime.fromtimestamp(a.epoch, datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "tools": {"components": [{"type": "application", "name": "anvil deploy/images/sbom.py"}]},
            "component": {
                "type": "container",
                "bom-ref": a.image,
                "name": a.image,
                "version": a.version,
                "hashes": [{"alg": "SHA-256", "content": a.digest.removeprefix("sha256:")}],
                "properties": [
                    {"name": "oci:manifest-digest", "value": a.digest},
                    {"name": "org.opencontainers.image.revision", "value": a.revision},
                ],
            },
        },
        "components": debian_components(a.debian) + [java] + jar_components(a.lib, a.maven_repo),
    }
    json.dump(bom, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
