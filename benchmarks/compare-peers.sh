#!/usr/bin/env bash
# Whole-command comparisons of Strata against peer tools: same input, same run, median of several runs, ratio
# to the reference tool. One subcommand per comparison; each prints a markdown table on stdout (progress on
# stderr) so the result can be pasted into the README as is.
#
#   benchmarks/compare-peers.sh digest         SHA-256 of a random file: Strata vs sha256sum vs OpenSSL
#   benchmarks/compare-peers.sh apply          extracting a real layer (tar, gzip, zstd): Strata vs GNU tar
#   benchmarks/compare-peers.sh diff           diff of two trees into a layer: Strata vs umoci repack
#   benchmarks/compare-peers.sh vfs-create     VFS child layer over a real tree: VfsDriver.create vs cp -a
#   benchmarks/compare-peers.sh pull           pull from a loopback registry: image-tool vs skopeo (+ umoci unpack)
#   benchmarks/compare-peers.sh copy           image-tool copy vs skopeo copy: to a layout, an archive, another repository
#   benchmarks/compare-peers.sh startup        light commands (inspect a layout, images): image-tool vs skopeo
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
  apply     extract a layer made from $SRC (default /usr/share) as tar, tar.gz, tar.zst:
            image-tool apply vs tar -xf / tar -xzf / tar --zstd -xf
  diff      a tree ($SRC) and a copy with 1% of files changed, a directory removed, files added:
            image-tool diff -o layer.tar.gz vs umoci repack (needs root)
  vfs-create  a VFS child layer over a parent holding $SRC: VfsDriver.create (reflink / copy_file_range)
            vs cp -a of the same tree (times of the copy alone, without JVM start-up, but each in a fresh JVM;
            the warmed-up, in-process figures: java -Djava.io.tmpdir=DIR -jar benchmarks.jar VfsCreateBenchmark)
  pull      a 1-file image, a 5-layer image of $SRC and a 60-layer image of $SRC60 (default /usr/share/doc) in a loopback
            docker-registry: image-tool pull --dest oci: vs skopeo copy; pull + unpack vs skopeo + umoci unpack;
            image-tool pull into the store (download + register) for reference (needs root, docker-registry,
            skopeo, umoci)
  copy      the 5-layer image of pull: image-tool copy vs skopeo copy, registry -> oci:, registry ->
            docker-archive:, and between two repositories of one registry (needs root, docker-registry, skopeo, umoci)
  startup   the fixed cost of a command: image-tool inspect oci:L60 and images on an empty store vs skopeo
            inspect oci:L60 (a 60-layer layout of $SRC60); with JDK 17 (class-data archive) and, when
            $JAVA25_HOME (default /usr/lib/jvm/temurin-25-jdk-amd64) exists, JDK 25 (AOT cache); needs umoci

environment: SIZE=1G RUNS=5 WORKDIR=<dir> JAVA=java TIMER=hyperfine|loop SRC=/usr/share
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
        WORKDIR_MADE=1
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
    local name=$1 cmd=$2 prepare=${3:-true}
    if [[ $TIMER == hyperfine ]]; then
        local json=$WORKDIR/hyperfine-$name.json
        hyperfine --style none --warmup 1 --runs "$RUNS" --command-name "$name" --export-json "$json" \
            --prepare "$prepare" "$cmd" >&2
        if command -v jq >/dev/null 2>&1; then
            jq -r '.results[0].median' "$json"
        else
            python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$json"
        fi
    else
        local i start end times=()
        bash -c "$prepare" >/dev/null
        bash -c "$cmd" >/dev/null
        for ((i = 0; i < RUNS; i++)); do
            bash -c "$prepare" >/dev/null
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

TOOL=$ROOT/image-tool

require_cli() {
    ls "$ROOT"/cli/target/image-tool-*.jar >/dev/null 2>&1 \
        || die "the CLI is not built; run ./image-tool --version once (or mvn -pl cli -am package -DskipTests)"
}

# Prints "| case | tool | median s | ratio |" rows: $1 case, $2 reference name, $3 reference s, $4 name, $5 s.
ratio_row() {
    awk -v c="$1" -v rn="$2" -v rs="$3" -v n="$4" -v t="$5" \
        'BEGIN { printf "| %s | %.3f | %.3f | %.2f |\n", c, rs, t, t / rs }'
}

cmd_apply() {
    require_cli
    require_tool tar
    require_tool zstd
    setup_workdir
    local src=${SRC:-/usr/share}
    log "making layers from $src"
    tar -C "$(dirname "$src")" -cf "$WORKDIR/layer.tar" "$(basename "$src")"
    gzip -6 -c "$WORKDIR/layer.tar" >"$WORKDIR/layer.tar.gz"
    zstd -q -3 -c "$WORKDIR/layer.tar" >"$WORKDIR/layer.tar.zst"
    local entries bytes
    entries=$(tar -tf "$WORKDIR/layer.tar" | wc -l)
    bytes=$(stat -c %s "$WORKDIR/layer.tar")
    cat "$WORKDIR"/layer.* >/dev/null
    local out=$WORKDIR/out prep="rm -rf '$WORKDIR/out' && mkdir '$WORKDIR/out'"
    local strata="IMAGE_TOOL_NO_BUILD=1 '$TOOL' apply"

    log "checking that both produce the same tree"
    bash -c "$prep" && tar -xf "$WORKDIR/layer.tar" -C "$out" && mv "$out" "$WORKDIR/ref"
    bash -c "$prep" && bash -c "$strata '$WORKDIR/layer.tar.zst' '$out'" >/dev/null
    diff -r --no-dereference "$WORKDIR/ref" "$out" >/dev/null || die "image-tool apply and tar -xf disagree"
    rm -rf "$WORKDIR/ref"

    local t_tar t_s t_targz t_sgz t_tarzst t_szst
    t_tar=$(median_seconds tar-xf "tar -xf '$WORKDIR/layer.tar' -C '$out'" "$prep")
    t_s=$(median_seconds strata-tar "$strata '$WORKDIR/layer.tar' '$out'" "$prep")
    t_targz=$(median_seconds tar-xzf "tar -xzf '$WORKDIR/layer.tar.gz' -C '$out'" "$prep")
    t_sgz=$(median_seconds strata-gz "$strata '$WORKDIR/layer.tar.gz' '$out'" "$prep")
    t_tarzst=$(median_seconds tar-zstd "tar --zstd -xf '$WORKDIR/layer.tar.zst' -C '$out'" "$prep")
    t_szst=$(median_seconds strata-zstd "$strata '$WORKDIR/layer.tar.zst' '$out'" "$prep")

    echo "Applying a layer of $src ($entries entries, $bytes bytes uncompressed) onto an empty directory,"
    echo "median of $RUNS runs ($TIMER); $(environment)"
    echo
    echo "| layer | GNU tar s | image-tool apply s | time ÷ tar |"
    echo "|---|---:|---:|---:|"
    ratio_row "tar" tar "$t_tar" strata "$t_s"
    ratio_row "tar.gz (tar -xzf)" tar "$t_targz" strata "$t_sgz"
    ratio_row "tar.zst (tar --zstd -xf)" tar "$t_tarzst" strata "$t_szst"
    echo
    awk -v z="$t_szst" -v g="$t_sgz" 'BEGIN { printf "image-tool: zstd layer time / gzip layer time = %.2f\n", z / g }'
    echo "image-tool times include JVM start-up."
}

cmd_diff() {
    require_cli
    require_tool umoci
    [[ $(id -u) == 0 ]] || die "umoci repack of a real tree needs root"
    setup_workdir
    local src=${SRC:-/usr/share}
    log "making an image of $src with umoci and a changed copy"
    umoci init --layout "$WORKDIR/L" >/dev/null
    umoci new --image "$WORKDIR/L:t"
    umoci unpack --image "$WORKDIR/L:t" "$WORKDIR/B" >/dev/null
    cp -a "$src/." "$WORKDIR/B/rootfs/"
    umoci repack --refresh-bundle --image "$WORKDIR/L:t" "$WORKDIR/B"
    cp -a "$WORKDIR/B/rootfs" "$WORKDIR/lower"
    # 1% of files touched, one directory removed, a new directory of 100 files.
    find "$WORKDIR/B/rootfs" -type f | awk 'NR % 100 == 0' | while read -r f; do echo changed >>"$f"; done
    rm -rf "$(find "$WORKDIR/B/rootfs" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
    mkdir "$WORKDIR/B/rootfs/strata-new"
    for i in $(seq 100); do echo "$i" >"$WORKDIR/B/rootfs/strata-new/$i"; done
    local changes
    changes=$(IMAGE_TOOL_NO_BUILD=1 "$TOOL" diff "$WORKDIR/lower" "$WORKDIR/B/rootfs" | wc -l)

    local t_umoci t_strata
    # Without --refresh-bundle every repack diffs the same bundle against the same mtree.
    t_umoci=$(median_seconds umoci-repack "umoci repack --image '$WORKDIR/L:t' '$WORKDIR/B'")
    t_strata=$(median_seconds strata-diff \
        "IMAGE_TOOL_NO_BUILD=1 '$TOOL' diff -o '$WORKDIR/layer.tar.gz' '$WORKDIR/lower' '$WORKDIR/B/rootfs' >/dev/null")
    echo "Diff of $src against a changed copy ($changes changes) into a gzip layer, median of $RUNS runs"
    echo "($TIMER); $(environment)"
    echo
    echo "| case | umoci repack s | image-tool diff -o s | time ÷ umoci |"
    echo "|---|---:|---:|---:|"
    ratio_row "diff + gzip layer" umoci "$t_umoci" strata "$t_strata"
}

cmd_vfs_create() {
    require_jar
    setup_workdir
    local src=${SRC:-/usr/share} home=$WORKDIR/vfs
    "$JAVA" -cp "$JAR" dev.strata.bench.VfsCreate "$home" - base 2>/dev/null
    cp -a "$src/." "$home/dir/base/"
    local bytes
    bytes=$(du -sb "$home/dir/base" | awk '{ print $1 }')
    local t_cp t_strata i times=()
    t_cp=$(median_seconds cp-a "cp -a '$home/dir/base' '$WORKDIR/copy'" "rm -rf '$WORKDIR/copy'")
    for ((i = 0; i < RUNS; i++)); do
        times+=("$("$JAVA" -cp "$JAR" dev.strata.bench.VfsCreate "$home" base child 2>/dev/null)")
        log "  VfsDriver.create run $((i + 1)): ${times[-1]} s"
    done
    t_strata=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    echo "A VFS child layer over a parent holding $src ($bytes bytes), median of $RUNS runs; $(environment)"
    echo "Filesystem of the store: $(stat -f -c %T "$home")"
    echo
    echo "| case | cp -a s | VfsDriver.create s | time ÷ cp -a |"
    echo "|---|---:|---:|---:|"
    ratio_row "child layer copy" cp "$t_cp" strata "$t_strata"
}

# Builds an image of N layers from the top-level entries of $2 with umoci in layout $1 (tag t).
build_layered_image() {
    local layout=$1 src=$2 layers=$3 bundle=$WORKDIR/bundle-$RANDOM
    umoci init --layout "$layout" >/dev/null
    umoci new --image "$layout:t"
    umoci unpack --image "$layout:t" "$bundle" >/dev/null
    mapfile -t entries < <(find "$src" -mindepth 1 -maxdepth 1 | sort)
    local per=$(( (${#entries[@]} + layers - 1) / layers )) i j
    for ((i = 0; i < layers; i++)); do
        for ((j = i * per; j < (i + 1) * per && j < ${#entries[@]}; j++)); do
            cp -a "${entries[$j]}" "$bundle/rootfs/"
        done
        umoci repack --refresh-bundle --image "$layout:t" "$bundle"
    done
    rm -rf "$bundle"
}

# Starts a docker-registry on a free loopback port ($port) holding bench/five:1 (5 layers of $SRC), bench/sixty:1
# (60 layers of $SRC60) and bench/one:1 (one small file); sets bytes5. Stopped on exit.
start_registry_with_images() {
    require_cli
    require_tool skopeo
    require_tool umoci
    require_tool docker-registry
    [[ $(id -u) == 0 ]] || die "building the images with umoci needs root"
    setup_workdir
    src=${SRC:-/usr/share} src60=${SRC60:-/usr/share/doc}
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$WORKDIR/registry.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORKDIR/registry-data}}
http: {addr: 127.0.0.1:$port}
YML
    docker-registry serve "$WORKDIR/registry.yml" >"$WORKDIR/registry.log" 2>&1 &
    REGISTRY_PID=$!
    # Stop the registry on exit; the work dir goes only if this run made it (setup_workdir's rule).
    if [[ -n ${WORKDIR_MADE:-} ]]; then
        trap 'kill "${REGISTRY_PID:-}" 2>/dev/null; rm -rf "$WORKDIR"' EXIT
    else
        trap 'kill "${REGISTRY_PID:-}" 2>/dev/null' EXIT
    fi
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

    log "building a 5-layer image of $src and a 60-layer image of $src60 (umoci), pushing them (skopeo)"
    build_layered_image "$WORKDIR/L5" "$src" 5
    build_layered_image "$WORKDIR/L60" "$src60" 60
    # One layer of one small file: what a pull costs before any real work (process start, resolve, one blob).
    mkdir -p "$WORKDIR/onefile" && echo "one small file" >"$WORKDIR/onefile/hello"
    build_layered_image "$WORKDIR/L1" "$WORKDIR/onefile" 1
    skopeo copy -q --dest-tls-verify=false "oci:$WORKDIR/L5:t" "docker://127.0.0.1:$port/bench/five:1"
    skopeo copy -q --dest-tls-verify=false "oci:$WORKDIR/L60:t" "docker://127.0.0.1:$port/bench/sixty:1"
    skopeo copy -q --dest-tls-verify=false "oci:$WORKDIR/L1:t" "docker://127.0.0.1:$port/bench/one:1"
    bytes5=$(du -sb "$WORKDIR/L5/blobs" | awk '{ print $1 }')
}

cmd_pull() {
    local src src60 port bytes5
    start_registry_with_images
    local tool="IMAGE_TOOL_NO_BUILD=1 '$TOOL'" out=$WORKDIR/out prep="rm -rf '$WORKDIR/out' && mkdir '$WORKDIR/out'"
    echo "Pull from a docker-registry on 127.0.0.1 (plain HTTP), median of $RUNS runs ($TIMER); $(environment)"
    echo "5-layer image of $src: $bytes5 bytes of blobs; 60-layer image of $src60."
    echo
    echo "| case | peer | peer s | image-tool s | time ÷ peer |"
    echo "|---|---|---:|---:|---:|"
    local image name t_peer t_tool
    local ref1="127.0.0.1:$port/bench/one:1"
    t_peer=$(median_seconds "skopeo-one" "skopeo copy -q --src-tls-verify=false docker://$ref1 oci:$out/sk:x" "$prep")
    t_tool=$(median_seconds "strata-one" "$tool pull -q --dest oci:$out/st:x $ref1 >/dev/null" "$prep")
    awk -v c="pull one (1 layer, 1 small file: fixed cost)" -v a="$t_peer" -v b="$t_tool" \
        'BEGIN { printf "| %s | skopeo copy | %.3f | %.3f | %.2f |\n", c, a, b, b / a }'
    for image in five sixty; do
        local ref="127.0.0.1:$port/bench/$image:1"
        t_peer=$(median_seconds "skopeo-$image" \
            "skopeo copy -q --src-tls-verify=false docker://$ref oci:$out/sk:x" "$prep")
        t_tool=$(median_seconds "strata-$image" "$tool pull -q --dest oci:$out/st:x $ref >/dev/null" "$prep")
        awk -v c="pull $image (to an OCI layout)" -v a="$t_peer" -v b="$t_tool" \
            'BEGIN { printf "| %s | skopeo copy | %.3f | %.3f | %.2f |\n", c, a, b, b / a }'
        t_peer=$(median_seconds "skopeo-umoci-$image" \
            "skopeo copy -q --src-tls-verify=false docker://$ref oci:$out/sk:x && umoci unpack --image $out/sk:x $out/b >/dev/null" \
            "$prep")
        t_tool=$(median_seconds "strata-unpack-$image" \
            "$tool pull -q --dest oci:$out/st:x $ref >/dev/null && $tool unpack oci:$out/st:x $out/rootfs 2>/dev/null" "$prep")
        awk -v c="pull + unpack $image" -v a="$t_peer" -v b="$t_tool" \
            'BEGIN { printf "| %s | skopeo copy + umoci unpack | %.3f | %.3f | %.2f |\n", c, a, b, b / a }'
        t_tool=$(median_seconds "strata-store-$image" "$tool --root $out/store pull -q $ref >/dev/null" "$prep")
        awk -v c="pull $image into the store (download + register layers)" -v a="$t_peer" -v b="$t_tool" \
            'BEGIN { printf "| %s | skopeo copy + umoci unpack | %.3f | %.3f | %.2f |\n", c, a, b, b / a }'
    done
    echo
    echo "image-tool times include JVM start-up; the store uses the default driver (overlay when root and supported)."
}

cmd_startup() {
    require_cli
    require_tool skopeo
    require_tool umoci
    setup_workdir
    local src60=${SRC60:-/usr/share/doc} jdk25=${JAVA25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
    [[ -d $WORKDIR/L60 ]] || { log "building a 60-layer layout of $src60 (umoci)"; build_layered_image "$WORKDIR/L60" "$src60" 60; }
    mkdir -p "$WORKDIR/empty-store"
    local tool="IMAGE_TOOL_NO_BUILD=1 '$TOOL'" t_peer t_tool jdk
    # The first run of a command records its archive; two untimed runs make sure each JDK maps its own.
    for jdk in 17 25; do
        local env=""
        [[ $jdk == 25 ]] && { [[ -x $jdk25/bin/java ]] || continue; env="JAVA_HOME=$jdk25 "; }
        for _ in 1 2; do
            bash -c "$env$tool inspect oci:$WORKDIR/L60:t >/dev/null && $env$tool --root $WORKDIR/empty-store images >/dev/null"
        done
    done
    echo "Start-up: light commands, median of $RUNS runs ($TIMER); $(environment)"
    echo
    echo "| case | skopeo inspect oci:L60 s | image-tool s | time ÷ skopeo |"
    echo "|---|---:|---:|---:|"
    t_peer=$(median_seconds "skopeo-inspect" "skopeo inspect oci:$WORKDIR/L60:t >/dev/null")
    for jdk in 17 25; do
        local env="" label="JDK 17, class-data archive"
        if [[ $jdk == 25 ]]; then
            [[ -x $jdk25/bin/java ]] || continue
            env="JAVA_HOME=$jdk25 "; label="JDK 25, AOT cache"
        fi
        t_tool=$(median_seconds "strata-inspect-$jdk" "$env$tool inspect oci:$WORKDIR/L60:t >/dev/null")
        ratio_row "inspect oci:L60 ($label)" skopeo "$t_peer" image-tool "$t_tool"
        t_tool=$(median_seconds "strata-images-$jdk" "$env$tool --root $WORKDIR/empty-store images >/dev/null")
        ratio_row "images, empty store ($label)" skopeo "$t_peer" image-tool "$t_tool"
    done
}

cmd_copy() {
    local src src60 port bytes5
    start_registry_with_images
    local tool="IMAGE_TOOL_NO_BUILD=1 '$TOOL'" out=$WORKDIR/out prep="rm -rf '$WORKDIR/out' && mkdir '$WORKDIR/out'"
    local ref="127.0.0.1:$port/bench/five:1" t_peer t_tool
    echo "Copy from a docker-registry on 127.0.0.1, median of $RUNS runs ($TIMER); $(environment)"
    echo "5-layer image of $src: $bytes5 bytes of blobs."
    echo
    echo "| case | skopeo copy s | image-tool copy s | time ÷ skopeo |"
    echo "|---|---:|---:|---:|"
    t_peer=$(median_seconds "skopeo-oci" "skopeo copy -q --src-tls-verify=false docker://$ref oci:$out/sk:x" "$prep")
    t_tool=$(median_seconds "strata-oci" "$tool copy -q docker://$ref oci:$out/st:x >/dev/null" "$prep")
    ratio_row "registry -> oci: (5 layers)" skopeo "$t_peer" image-tool "$t_tool"
    t_peer=$(median_seconds "skopeo-archive" \
        "skopeo copy -q --src-tls-verify=false docker://$ref docker-archive:$out/sk.tar:bench/five:1" "$prep")
    t_tool=$(median_seconds "strata-archive" \
        "$tool copy -q docker://$ref docker-archive:$out/st.tar:bench/five:1 >/dev/null" "$prep")
    ratio_row "registry -> docker-archive: (save, layers decompressed)" skopeo "$t_peer" image-tool "$t_tool"
    t_peer=$(median_seconds "skopeo-mount" \
        "skopeo copy -q --src-tls-verify=false --dest-tls-verify=false docker://$ref docker://127.0.0.1:$port/m/sk\$(date +%s%N):1")
    t_tool=$(median_seconds "strata-mount" \
        "$tool copy -q docker://$ref docker://127.0.0.1:$port/m/st\$(date +%s%N):1 >/dev/null")
    ratio_row "registry -> another repository (blobs mounted)" skopeo "$t_peer" image-tool "$t_tool"
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
        apply) cmd_apply "$@" ;;
        diff) cmd_diff "$@" ;;
        vfs-create) cmd_vfs_create "$@" ;;
        pull) cmd_pull "$@" ;;
        startup) cmd_startup "$@" ;;
        copy) cmd_copy "$@" ;;
        unpack) die "'$comparison' is not implemented yet" ;;
        -h | --help | help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
