#!/usr/bin/env bash
# Fetches what the Kafka-tools compat tier runs: Apache Kafka's jars (Maven, cached in ~/.m2) and
# franz-go (Go module proxy, cached in Go's module cache). Writes the Java classpath and the franz-go
# program into ~/.cache/sluice/ (SLUICE_CACHE_DIR overrides). Idempotent and quiet; safe to re-run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}"

if ! command -v java >/dev/null; then
  echo "fetch-deps: java absent; the Kafka-tools compat tier will skip" >&2
  exit 0
fi

version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
dir="$cache/kafka-$version"
mkdir -p "$dir"
if [ ! -s "$dir/classpath.txt" ] || [ "$here/pom.xml" -nt "$dir/classpath.txt" ]; then
  command -v mvn >/dev/null || { echo "fetch-deps: mvn is needed to fetch the Kafka $version jars" >&2; exit 1; }
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:build-classpath -Dmdep.outputFile="$dir/classpath.$$.tmp" \
    >"$dir/mvn.$$.log" 2>&1 || { cat "$dir/mvn.$$.log" >&2; exit 1; }
  mv "$dir/classpath.$$.tmp" "$dir/classpath.txt"
  echo "fetch-deps: Kafka $version jars resolved"
fi

go="$(command -v go || echo /usr/local/go/bin/go)"
franz="$here/../franz-go"
if [ -x "$go" ] && [ -f "$franz/go.mod" ]; then
  bin="$cache/franz-go-check"
  if [ ! -x "$bin" ] || [ -n "$(find "$franz" -newer "$bin" -type f)" ]; then
    (cd "$franz" && "$go" build -o "$bin.$$.tmp" . && mv "$bin.$$.tmp" "$bin")
    echo "fetch-deps: franz-go program built"
  fi
else
  # franz-go needs Go >= 1.26 (or a Go >= 1.21 that fetches that toolchain); Debian's golang-go is older.
  echo "fetch-deps: go absent; the franz-go check will skip" >&2
fi
