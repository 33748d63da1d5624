#!/usr/bin/env bash
# Whole-command comparisons of Strata against peer tools: same input, same run, median of several runs, ratio
# to the reference tool. One subcommand per comparison; each prints a markdown table on stdout (progress on
# stderr) so the result can be pasted into the README as is.
#
#   benchmarks/compare-peers.sh digest         SHA-256 of a random file: Strata vs sha256sum vs OpenSSL
#
# Build first:  mvn -o -q -B -pl image-core,benchmarks -am package -DskipTests
# Environment:  SIZE (input size, e.g. 1G, 256M; default 1G), RUNS (timed runs per tool, default 5),
#               WORKDIR (where the input is created; default a fresh temp dir, removed at exit),
#               JAVA (default java), TIMER (hyperfine or loop; default hyperfine when installed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR=$ROOT/benchmarks/target/benchmarks.jar
JAVA=${JAVA:-java}
RUNS=${RUNS:-5}
if [[ -z ${TIMER:-} ]]; then
    if command -v hyperfine >/dev/null 2>&1; then TIMER=hyperfine; else TIMER=loop; fi
fi
SIZE=${SIZE:-1G}

usage() {
    cat <<'EOF'
usage: benchmarks/compare-peers.sh <comparison>

comparisons:
  digest    sha256 of a $SIZE random file: Strata (Digester) vs sha256sum vs openssl dgst
  (planned: apply, diff, pull, unpack)

environment: SIZE=1G RUNS=5 WORKDIR=<dir> JAVA=java TIMER=hyperfine|loop
EOF
}

log() { printf '%s\n' "$*" >&2; }
die() { log "compare-peers: $*"; exit 1; }

# ---------- shared helpers (used by every comparison) ----------

# Bytes in a size such as 1G, 512M, 64K or 1000 (powers of 1024).
parse_size() {
    local s=$1 n unit
    [[ $s =~ ^([0-9]+)([KMGkmg]?)(i?B?)?$ ]] || die "invalid SIZE '$s' (expected e.g. 1G, 256M, 4096)"
    n=${BASH_REMATCH[1]}; unit=${BASH_REMATCH[2]^^}
    case $unit in
        K) echo $((n << 10)) ;; M) echo $((n << 20)) ;; G) echo $((n << 30)) ;; *) echo "$n" ;;
    esac
}

# A scratch directory for this run, removed on exit unless WORKDIR was given.
setup_workdir() {
    if [[ -n ${WORKDIR:-} ]]; then
        mkdir -p "$WORKDIR"
    else
        WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/strata-compare.XXXXXX")
        trap 'rm -rf "$WORKDIR"' EXIT
    fi
}

require_jar() {
    [[ -f $JAR ]] || die "$JAR not found; build it with: mvn -o -q -B -pl image-core,benchmarks -am package -DskipTests"
}

require_tool() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed; it is needed for this comparison"
}

# Median wall time in seconds of RUNS runs of a shell command line; one untimed warm-up run first.
# Uses hyperfine (TIMER=hyperfine) or a loop around date +%s.%N (TIMER=loop).
median_seconds() {
    local name=$1 cmd=$2
    if [[ $TIMER == hyperfine ]]; then
        local json=$WORKDIR/hyperfine-$name.json
        hyperfine --style none --warmup 1 --runs "$RUNS" --command-name "$name" --export-json "$json" \
            "$cmd" >&2
        if command -v jq >/dev/null 2>&1; then
            jq -r '.results[0].median' "$json"
        else
            python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$json"
        fi
    else
        local i start end times=()
        bash -c "$cmd" >/dev/null
        for ((i = 0; i < RUNS; i++)); do
            start=$(date +%s.%N)
            bash -c "$cmd" >/dev/null
            end=$(date +%s.%N)
            times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }')")
            log "  $name run $((i + 1)): ${times[-1]} s"
        done
        printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
    fi
}

# Prints the table header, then one row per "name seconds" line on stdin; the first row is the reference.
# Throughput is decimal GB/s of $1 bytes; the ratio is time / reference time (below 1 = faster).
print_table() {
    local bytes=$1
    awk -v bytes="$bytes" '
        NR == 1 { ref = $2; printf "| tool | median s | GB/s | time ÷ %s |\n|---|---:|---:|---:|\n", $1 }
        { printf "| %s | %.3f | %.2f | %.2f |\n", $1, $2, bytes / 1e9 / $2, $2 / ref }
    '
}

# ---------- comparisons ----------

cmd_digest() {
    require_jar
    require_tool openssl
    require_tool sha256sum
    setup_workdir
    local bytes file
    bytes=$(parse_size "$SIZE")
    file=$WORKDIR/random-$SIZE.bin

    log "creating $SIZE ($bytes bytes) of random data in $file"
    head -c "$bytes" /dev/urandom >"$file"
    [[ $(stat -c %s "$file") == "$bytes" ]] || die "could not write $bytes bytes to $file"
    # Warm the page cache so every tool reads from memory: this compares digest speed, not the disk.
    cat "$file" >/dev/null

    local openssl_cmd="openssl dgst -sha256 '$file'"
    local sha256sum_cmd="sha256sum '$file'"
    local strata_cmd="'$JAVA' -cp '$JAR' dev.strata.bench.DigestFile '$file'"

    log "checking that all tools agree on the digest"
    local d_openssl d_sha256sum d_strata
    d_openssl=$(bash -c "$openssl_cmd" | awk '{ print $NF }')
    d_sha256sum=$(bash -c "$sha256sum_cmd" | awk '{ print $1 }')
    d_strata=$(bash -c "$strata_cmd")
    d_strata=${d_strata#sha256:}
    if [[ $d_openssl != "$d_sha256sum" || $d_openssl != "$d_strata" ]]; then
        die "digests differ: openssl=$d_openssl sha256sum=$d_sha256sum strata=$d_strata"
    fi
    log "all agree: sha256:$d_openssl"

    local t_openssl t_sha256sum t_strata
    t_openssl=$(median_seconds openssl "$openssl_cmd")
    t_sha256sum=$(median_seconds sha256sum "$sha256sum_cmd")
    t_strata=$(median_seconds strata "$strata_cmd")

    echo "SHA-256 of a $SIZE random file (page cache warm), median of $RUNS runs ($TIMER); $(environment)"
    echo
    printf '%s %s\n' "openssl" "$t_openssl" "sha256sum" "$t_sha256sum" "strata(DigestFile)" "$t_strata" \
        | print_table "$bytes"
    echo
    echo "strata includes JVM start-up (about 0.1-0.3 s); see DigestBenchmark (JMH) for the steady-state rate."
}

# One line describing where the numbers came from.
environment() {
    local cpu java_version openssl_version
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
    java_version=$("$JAVA" -version 2>&1 | awk -F'"' '/version/ { print $2; exit }')
    openssl_version=$(openssl version | awk '{ print $2 }')
    printf '%s, %s CPUs, Java %s, OpenSSL %s, %s' "$cpu" "$(nproc)" "$java_version" "$openssl_version" \
        "$(sha256sum --version | head -1)"
}

main() {
    [[ $# -ge 1 ]] || { usage >&2; exit 2; }
    local comparison=$1
    shift
    case $comparison in
        digest) cmd_digest "$@" ;;
        apply | diff | pull | unpack) die "'$comparison' is not implemented yet" ;;
        -h | --help | help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
