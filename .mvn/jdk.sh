# Sourced by ./pagealloc and .ci/run: points JAVA_HOME at a JDK >= 25, or stops with a clear
# message. JAVA_HOME wins when it is one; otherwise the system's JVM folders are searched, newest
# first. (./mvnw is the stock wrapper: Maven finds the same JDK as a toolchain, see pom.xml.)
pagealloc_jdk_major() {
  # The JDK's own `release` file names its version without starting a JVM.
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}

pagealloc_find_jdk() {
  required=25
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(pagealloc_jdk_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge "$required" ]; then
      return 0
    fi
  fi
  best=""
  best_major=0
  # Callers may run with globbing off (set -f); the search needs it.
  case $- in *f*) glob_was_off=1; set +f ;; *) glob_was_off=0 ;; esac
  for dir in /usr/lib/jvm/* /usr/java/* /opt/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$dir/bin/javac" ] || continue
    major=$(pagealloc_jdk_major "$dir")
    [ -n "$major" ] || continue
    if [ "$major" -ge "$required" ] && [ "$major" -gt "$best_major" ]; then
      best="$dir"
      best_major="$major"
    fi
  done
  [ "$glob_was_off" = 1 ] && set -f
  if [ -z "$best" ]; then
    echo "pagealloc needs a JDK $required or newer (the FFM API, release $required)." >&2
    echo "JAVA_HOME=${JAVA_HOME-<unset>} is not one, and none was found under /usr/lib/jvm, /usr/java, /opt/java" >&2
    echo "or /Library/Java/JavaVirtualMachines. Install one (e.g. Temurin $required) or set JAVA_HOME to it." >&2
    return 1
  fi
  JAVA_HOME="$best"
  export JAVA_HOME
}
