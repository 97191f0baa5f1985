# shellcheck shell=bash
#
# Source this file (". bin/jdk-env.sh") to get a JDK 25 or newer:
#
#   * exports JAVA_HOME pointing at a JDK whose major version is >= 25:
#       1. $JAVA_HOME, if it already is one;
#       2. otherwise the newest JDK >= 25 found under /usr/lib/jvm/* (or under the
#          directories listed, colon-separated, in $VECMLP_JDK_SEARCH_PATH);
#   * puts $JAVA_HOME/bin first on PATH;
#   * returns 0 on success. If no such JDK exists it prints what is missing and how to
#     get it to stderr, leaves JAVA_HOME and PATH untouched, and returns 1.
#
# Safe to source from scripts running under `set -euo pipefail`. When executed rather
# than sourced, it prints the JDK it would choose (handy for debugging).

_vecmlp_jdk_min=25

# _vecmlp_java_major DIR: print the major version of DIR/bin/java, or fail.
_vecmlp_java_major() {
  local java="$1/bin/java" out version major
  [[ -x "$java" && ! -d "$java" ]] || return 1
  # No pipe into grep here: callers may run under `set -o pipefail`.
  out=$("$java" -version 2>&1) || return 1
  [[ "$out" =~ version\ \"([^\"]+)\" ]] || return 1
  version=${BASH_REMATCH[1]}
  major=${version%%[-.+]*}
  if [[ "$major" == 1 ]]; then # 1.8.0_402 style
    major=${version#1.}
    major=${major%%[-.+_]*}
  fi
  [[ "$major" =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$major"
}

_vecmlp_find_jdk() {
  local search="${VECMLP_JDK_SEARCH_PATH:-/usr/lib/jvm}" root dir real major
  local best="" best_major=0 found=""
  local -a roots seen=()

  _vecmlp_jdk_found=""
  if [[ -n "${JAVA_HOME:-}" ]]; then
    if major=$(_vecmlp_java_major "$JAVA_HOME"); then
      if [[ ! -x "$JAVA_HOME/bin/javac" ]]; then
        found+="    $JAVA_HOME (from \$JAVA_HOME): Java $major, but a JRE only (no bin/javac)"$'\n'
      elif (( major >= _vecmlp_jdk_min )); then
        _vecmlp_jdk_home="$JAVA_HOME"
        return 0
      else
        found+="    $JAVA_HOME (from \$JAVA_HOME): Java $major"$'\n'
      fi
    else
      found+="    $JAVA_HOME (from \$JAVA_HOME): no working bin/java"$'\n'
    fi
  fi

  IFS=: read -r -a roots <<<"$search"
  for root in "${roots[@]}"; do
    [[ -d "$root" ]] || continue
    for dir in "$root"/*; do
      [[ -d "$dir" ]] || continue
      real=$(readlink -f "$dir" 2>/dev/null) || real="$dir"
      # Skip aliases (java-1.17.0-openjdk-amd64 -> java-17-openjdk-amd64, ...).
      [[ " ${seen[*]-} " == *" $real "* ]] && continue
      seen+=("$real")
      major=$(_vecmlp_java_major "$dir") || continue
      if [[ ! -x "$dir/bin/javac" ]]; then
        found+="    $dir: Java $major, but a JRE only (no bin/javac)"$'\n'
        continue
      fi
      found+="    $dir: Java $major"$'\n'
      if (( major >= _vecmlp_jdk_min && major > best_major )); then
        best="$dir" best_major=$major
      fi
    done
  done

  if [[ -n "$best" ]]; then
    _vecmlp_jdk_home="$best"
    return 0
  fi
  _vecmlp_jdk_found="$found"
  return 1
}

_vecmlp_jdk_help() {
  local pkg="" candidate
  if command -v apt-cache >/dev/null 2>&1; then
    for candidate in openjdk-25-jdk-headless temurin-25-jdk openjdk-25-jdk; do
      if apt-cache show "$candidate" >/dev/null 2>&1; then
        pkg=$candidate
        break
      fi
    done
  fi
  {
    echo "error: vecmlp needs a JDK ${_vecmlp_jdk_min} or newer (Vector API, FFM API), and none was found."
    local where="${VECMLP_JDK_SEARCH_PATH:-/usr/lib/jvm}"
    echo "  Looked at \$JAVA_HOME and in ${where//:/\/*, }/*. Found:"
    if [[ -n "$_vecmlp_jdk_found" ]]; then
      printf '%s' "$_vecmlp_jdk_found"
    else
      echo "    (no JDK at all)"
    fi
    echo "  To fix it, do one of:"
    if [[ -n "$pkg" ]]; then
      echo "    * install it from your distribution:  sudo apt-get install $pkg"
    else
      echo "    * install Eclipse Temurin 25 (https://adoptium.net/; Debian/Ubuntu: add the"
      echo "      https://packages.adoptium.net/artifactory/deb repository, then"
      echo "      sudo apt-get install temurin-25-jdk), or an openjdk-25-jdk package if your"
      echo "      distribution has one;"
    fi
    echo "    * or unpack any JDK 25+ and point JAVA_HOME at it:  export JAVA_HOME=/path/to/jdk-25"
  } >&2
}

if _vecmlp_find_jdk; then
  export JAVA_HOME="$_vecmlp_jdk_home"
  case ":$PATH:" in
    ":$JAVA_HOME/bin:"*) ;; # already first
    *) export PATH="$JAVA_HOME/bin:$PATH" ;;
  esac
  _vecmlp_jdk_rc=0
else
  _vecmlp_jdk_help
  _vecmlp_jdk_rc=1
fi
unset -f _vecmlp_java_major _vecmlp_find_jdk _vecmlp_jdk_help
unset _vecmlp_jdk_min _vecmlp_jdk_home _vecmlp_jdk_found

if (return 0 2>/dev/null); then
  # Sourced: hand the result to the caller.
  if [[ $_vecmlp_jdk_rc -eq 0 ]]; then
    unset _vecmlp_jdk_rc
    return 0
  fi
  unset _vecmlp_jdk_rc
  return 1
fi
# Executed: report, and end with the result as this script's status.
[[ $_vecmlp_jdk_rc -ne 0 ]] || echo "JAVA_HOME=$JAVA_HOME"
(exit "$_vecmlp_jdk_rc")
