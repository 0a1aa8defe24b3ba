#!/usr/bin/env bash
# Cold, warm-memory and warm-disk latency of W1-W4 (kiln's kernel caches) next to JAX's first
# call (jit compile) and JAX's own persistent cache, in one run. Every measurement is a new
# process; every cache directory is a fresh temporary one.
#
# Usage: benches/cache_latency.sh KILN_BIN PYTHON_WITH_JAX
#   KILN_BIN: a release build of the CLI (cargo build --release -p kiln-cli -> target/release/kiln)
# Prints a Markdown table (medians of RUNS=3 processes per cell) to stdout. ONLY="w1 w3" for a
# subset; SMALL=1 for 8192-element inputs.
set -euo pipefail
kiln="$1"
py="$2"
here="$(cd "$(dirname "$0")" && pwd)"
runs="${RUNS:-3}"
declare -A sizes=([w1]=1000000 [w2]=10000000 [w3]=10000000 [w4]=16777216)
# SMALL=1: 8192 elements (W4: 2 x 4096), where execution is negligible and the fixed costs show.
if [ "${SMALL:-0}" = "1" ]; then sizes=([w1]=8192 [w2]=8192 [w3]=8192 [w4]=8192); fi
only="${ONLY:-w1 w2 w3 w4}"

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" | head -1; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| workload | n | kiln cold first | kiln warm-memory | kiln warm-disk first (new process) | disk first - warm | kiln new length | kiln warm-disk first at 3n (new process) | kiln compiles cold / disk / new length / disk new length | JAX first call | JAX warm | JAX persistent-cache first (new process) | JAX new length | JAX persistent-cache first at 3n (new process) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for w in $only; do
  n=${sizes[$w]}
  # Not n + 4096: the first process evaluates that length too (its "new length").
  n2=$(( n * 3 ))
  cold=(); warm=(); disk=(); newlen=(); disk2=(); jf=(); jw=(); jd=(); jn=(); jd2=()
  for r in $(seq "$runs"); do
    dir=$(mktemp -d); jdir=$(mktemp -d)
    out=$(KILN_CACHE_DIR="$dir" "$kiln" eval-workload "$w" --n "$n")
    cold+=("$(echo "$out" | field first_ms)"); warm+=("$(echo "$out" | field warm_ms)")
    newlen+=("$(echo "$out" | field new_length_ms)")
    cc=$(echo "$out" | grep after_first | field compiles)
    nc=$(( $(echo "$out" | grep after_new_length | field compiles) - $(echo "$out" | grep after_warm | field compiles) ))
    out2=$(KILN_CACHE_DIR="$dir" "$kiln" eval-workload "$w" --n "$n")
    disk+=("$(echo "$out2" | field first_ms)")
    dc=$(echo "$out2" | grep after_first | field compiles)
    [ "$(echo "$out" | field digest)" = "$(echo "$out2" | field digest)" ] || { echo "digest mismatch $w" >&2; exit 1; }
    # A new process at another length of the class: the plan and the kernels come from disk.
    out3=$(KILN_CACHE_DIR="$dir" "$kiln" eval-workload "$w" --n "$n2")
    disk2+=("$(echo "$out3" | field first_ms)")
    d2c=$(echo "$out3" | grep after_first | field compiles)
    j=$("$py" "$here/python/cache_latency_jax.py" "$w" --n "$n" --cache-dir "$jdir")
    jf+=("$(echo "$j" | field first_ms)"); jw+=("$(echo "$j" | field warm_ms)"); jn+=("$(echo "$j" | field new_length_ms)")
    j2=$("$py" "$here/python/cache_latency_jax.py" "$w" --n "$n" --cache-dir "$jdir")
    jd+=("$(echo "$j2" | field first_ms)")
    j3=$("$py" "$here/python/cache_latency_jax.py" "$w" --n "$n2" --cache-dir "$jdir")
    jd2+=("$(echo "$j3" | field first_ms)")
    rm -rf "$dir" "$jdir"
  done
  m() { printf '%s\n' "$@" | median; }
  c=$(m "${cold[@]}"); wm=$(m "${warm[@]}"); d=$(m "${disk[@]}")
  over=$(awk -v d="$d" -v w="$wm" 'BEGIN {printf "%.2f", d - w}')
  echo "| $w | $n | $c ms | $wm ms | $d ms | $over ms | $(m "${newlen[@]}") ms | $(m "${disk2[@]}") ms | $cc / $dc / $nc / $d2c | $(m "${jf[@]}") ms | $(m "${jw[@]}") ms | $(m "${jd[@]}") ms | $(m "${jn[@]}") ms | $(m "${jd2[@]}") ms |"
done
