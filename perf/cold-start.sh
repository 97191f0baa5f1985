#!/usr/bin/env bash
# A service's first seconds, in fresh JVMs: vecmlp's Predictor without warmUp(), the same in the
# opt-in mode that serves from the kernels' scalar twin while a background thread warms them
# (vecmlp+twin: -Dvecmlp.backgroundWarmUp=true), and with warmUp(), and optionally ONNX Runtime's
# Java API on the same weights, run in turn (vecmlp, vecmlp+twin, vecmlp+warmUp, ONNX Runtime,
# vecmlp, ...) so that all meet the same machine. See dev.vecmlp.perf.ColdStart for what each
# figure is.
#
#   perf/cold-start.sh                     # 5 rounds, vecmlp only
#   perf/cold-start.sh -n 7 --ort          # 7 rounds beside ONNX Runtime 1.22
#   perf/cold-start.sh -m model.safetensors
#
# The model is network A (784-512-512-10): MODEL if given, else one epoch of ./vecmlp train
# (any weights time the same). --ort builds perf with -P onnxruntime (Maven Central, about
# 40 MB once) and exports the model to ONNX with interop/pytorch/export_onnx.py, which needs
# Debian's python3-torch.
#
# Run it on a quiet machine: not beside a build, a test run or another benchmark.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=5
ORT=0
MODEL=
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) RUNS=${2:?"-n: expected a number of rounds"}; shift 2 ;;
    -m) MODEL=${2:?"-m: expected a model file"}; shift 2 ;;
    --ort) ORT=1; shift ;;
    -h | --help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cold-start.sh: unknown option '$1' (expected -n ROUNDS, -m MODEL, --ort)" >&2; exit 2 ;;
  esac
done
if ! [[ $RUNS =~ ^[1-9][0-9]*$ ]]; then
  echo "cold-start.sh: -n: expected a whole number of rounds of at least 1, found '$RUNS'" >&2
  exit 2
fi
# shellcheck source=../bin/jdk-env.sh
source "$ROOT/bin/jdk-env.sh"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [[ -z $MODEL ]]; then
  MODEL=$OUT/a.safetensors
  "$ROOT/vecmlp" train --epochs 1 -o "$MODEL" >/dev/null 2>&1 </dev/null \
    || { echo "cold-start.sh: ./vecmlp train --epochs 1 failed; run it to see why" >&2; exit 1; }
elif [[ ! -f $MODEL ]]; then
  echo "cold-start.sh: -m: expected a model file, found no file at $MODEL" >&2
  exit 2
fi
if ((ORT)); then
  echo "cold-start.sh: building perf with -P onnxruntime ..." >&2
  (cd "$ROOT" && ./build perf -P onnxruntime </dev/null >&2)
  /usr/bin/python3 "$ROOT/interop/pytorch/export_onnx.py" "$MODEL" "$OUT/a.onnx" >&2 \
    || { echo "cold-start.sh: --ort: exporting to ONNX needs Debian's python3-torch (apt-get install python3-torch)" >&2; exit 1; }
elif [[ ! -f $ROOT/perf/target/benchmarks.jar ]] || [[ -n "$(find "$ROOT/src/main" "$ROOT/perf/src" -newer "$ROOT/perf/target/benchmarks.jar" -print -quit)" ]]; then
  (cd "$ROOT" && ./build perf </dev/null >&2)
fi

JAR=$ROOT/perf/target/benchmarks.jar
run() { # label, JVM flags or -, main class, args...
  local label=$1 flags=$2
  shift 2
  [[ $flags == - ]] && flags=
  # shellcheck disable=SC2086 # the flags are words
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector $flags -cp "$JAR" "$@" 2>/dev/null </dev/null \
    | grep '^engine=' | sed "s/^engine=[^ ]*/engine=$label/" >>"$OUT/lines"
}
for ((r = 1; r <= RUNS; r++)); do
  run vecmlp - dev.vecmlp.perf.ColdStart "$MODEL"
  run vecmlp+twin -Dvecmlp.backgroundWarmUp=true dev.vecmlp.perf.ColdStart "$MODEL"
  run vecmlp+warmUp - dev.vecmlp.perf.ColdStart "$MODEL" --warm-up
  if ((ORT)); then
    run onnxruntime - dev.vecmlp.perf.ort.OrtColdStart "$OUT/a.onnx"
  fi
  echo "round $r of $RUNS done" >&2
done

echo "cold start, $RUNS fresh JVMs each ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), cpu family" \
  "$(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)):"
echo "median [min - max]; ms from JVM start, then ms and us; steady: median call, 1 thread (x2: 2 threads)"
for engine in vecmlp vecmlp+twin vecmlp+warmUp onnxruntime; do
  grep -q "^engine=$engine " "$OUT/lines" || continue
  echo "$engine:"
  for key in loaded_ms first_ms warmup_ms first1000_ms first1000_p99_us b1_us b32_us b256_us b256x2_us; do
    grep "^engine=$engine " "$OUT/lines" | tr ' ' '\n' | grep "^$key=" | cut -d= -f2 | sort -g | awk -v key="$key" '
      { v[NR] = $1 }
      END {
        if (NR == 0 || v[NR] < 0) exit
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "  %-18s %10.1f  [%.1f - %.1f]\n", key, med, v[1], v[NR]
      }'
  done
  unsettled=$(grep "^engine=$engine " "$OUT/lines" | grep -c 'settled=false' || true)
  if [[ $engine == vecmlp+warmUp ]]; then
    echo "  warmUp() unsettled in $unsettled of $(grep -c "^engine=$engine " "$OUT/lines") JVMs"
  fi
done
