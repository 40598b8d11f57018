# Sourced by ./anvil, ./test and .ci/run: exports JAVA_HOME pointing at a JDK >= 21.
# Order: $JAVA_HOME if it is new enough, then the newest JDK under /usr/lib/jvm, then `java` on PATH.
# (On these machines the default java is 17, which cannot build or run Anvil.)

anvil_java_major() {
  # Prints the feature version of the given java binary (17, 21, 25, ...), or nothing.
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

anvil_find_jdk() {
  local candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(anvil_java_major "$JAVA_HOME/bin/java")
    if [ "${major:-0}" -ge 21 ]; then
      echo "$JAVA_HOME"
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*/ "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")/"; do
    candidate=${candidate%/}
    [ -x "$candidate/bin/javac" ] || continue
    major=$(anvil_java_major "$candidate/bin/java")
    if [ "${major:-0}" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate
      best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "anvil: no JDK 21 or newer found (looked at JAVA_HOME, /usr/lib/jvm/*, PATH). Install one, or set JAVA_HOME." >&2
    return 1
  fi
  echo "$best"
}

JAVA_HOME=$(anvil_find_jdk) || exit 1
export JAVA_HOME

# Maven itself (Guice) and protobuf call sun.misc.Unsafe; JDK 24+ warns about it on every run.
if [ "$(anvil_java_major "$JAVA_HOME/bin/java")" -ge 24 ]; then
  case " ${MAVEN_OPTS:-} " in
    *sun-misc-unsafe-memory-access*) ;;
    *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;;
  esac
fi
