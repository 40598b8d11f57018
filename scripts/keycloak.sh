#!/usr/bin/env bash
# Starts a development Keycloak on 127.0.0.1 (port $KEYCLOAK_PORT, default 8180) with Acme's example
# realm imported from deploy/keycloak/anvil-realm.json. The distribution comes from Maven Central
# (org.keycloak:keycloak-quarkus-dist) and is cached in ~/.m2 and unpacked under .anvil/.
#   issuer:  http://127.0.0.1:8180/realms/acme
#   admin:   admin / $KC_BOOTSTRAP_ADMIN_PASSWORD (default admin-dev-password)
#   users:   alice, hannah, harry, frank, erin, lena, carl, mia, sam; password <name>-dev-password
set -euo pipefail
ANVIL_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ANVIL_HOME"
# shellcheck source=scripts/jdk.sh
. scripts/jdk.sh

version=$(sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' pom.xml)
port=${KEYCLOAK_PORT:-8180}
home=.anvil/keycloak-$version
if [ ! -x "$home/bin/kc.sh" ]; then
  echo "keycloak: fetching org.keycloak:keycloak-quarkus-dist:$version (cached in ~/.m2 after the first time)" >&2
  ./mvnw -q -B dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$version:zip" -DoutputDirectory=.anvil >&2
  rm -rf ".anvil/keycloak-$version.unpacking" && mkdir -p ".anvil/keycloak-$version.unpacking"
  (cd ".anvil/keycloak-$version.unpacking" && "$JAVA_HOME/bin/jar" xf "../keycloak-quarkus-dist-$version.zip")
  mv ".anvil/keycloak-$version.unpacking/keycloak-$version" "$home"
  rm -rf ".anvil/keycloak-$version.unpacking" ".anvil/keycloak-quarkus-dist-$version.zip"
  chmod +x "$home"/bin/*.sh
fi
mkdir -p "$home/data/import"
# Keycloak imports a realm only from a file named <realm>-realm.json.
cp deploy/keycloak/anvil-realm.json "$home/data/import/acme-realm.json"

export KC_BOOTSTRAP_ADMIN_USERNAME=${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}
export KC_BOOTSTRAP_ADMIN_PASSWORD=${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin-dev-password}
export JAVA_OPTS_APPEND="--add-opens=java.base/java.lang=ALL-UNNAMED ${JAVA_OPTS_APPEND:-}"
echo "keycloak: issuer http://127.0.0.1:$port/realms/acme" >&2
exec "$home/bin/kc.sh" start-dev --http-host=127.0.0.1 --http-port="$port" \
  --hostname="http://127.0.0.1:$port" --import-realm
