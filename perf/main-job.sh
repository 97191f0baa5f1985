#!/usr/bin/env bash
# The main job's benchmark: `./vecmlp train` (the README's recipe, or the options you pass after
# --) in fresh JVMs, several runs, and optionally the same recipe in PyTorch between them, run
# for run (vecmlp, PyTorch, vecmlp, PyTorch, ...), so that the two meet the same machine.
#
#   perf/main-job.sh                     # 5 runs of ./vecmlp train
#   perf/main-job.sh -n 7 --torch        # 7 pairs against PyTorch (needs the recipe, see below)
#   perf/main-job.sh -- --epochs 5       # options after -- go to ./vecmlp train
#
# For each figure it prints the median and the range [min - max] over the runs:
#   whole      the whole command, from the shell's start of java to its exit (wall seconds)
#   loop       the training loop, as `train` reports it
#   epoch 1    the first epoch, and epoch 1 / later: its time over the median later epoch
#   later      the median of epochs 2..N within a run
#   step       the steady step: (loop - epoch 1) / the steps after epoch 1, in ms
# and, with --torch, PyTorch's whole command and the ratio vecmlp / PyTorch pair by pair.
#
# PyTorch: the recipe script is run-torch-recipe.sh from the project's shared bench folder
# (../shared/bench/peers/ beside this checkout), or the one VECMLP_TORCH_RECIPE names. It
# installs Debian's python3-torch on first use and prints "<seconds> <accuracy>".
#
# Run it on a quiet machine: not beside a build, a test run or another benchmark.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=5
TORCH=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) RUNS=${2:?"-n: expected a number of runs"}; shift 2 ;;
    --torch) TORCH=1; shift ;;
    --) shift; break ;;
    -h | --help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "main-job.sh: unknown option '$1' (expected -n RUNS, --torch, or -- TRAIN-OPTIONS)" >&2; exit 2 ;;
  esac
done
if ! [[ $RUNS =~ ^[1-9][0-9]*$ ]]; then
  echo "main-job.sh: -n: expected a whole number of runs of at least 1, found '$RUNS'" >&2
  exit 2
fi
RECIPE=${VECMLP_TORCH_RECIPE:-$ROOT/../shared/bench/peers/run-torch-recipe.sh}
if ((TORCH)) && [[ ! -x $RECIPE ]]; then
  echo "main-job.sh: --torch: expected the PyTorch recipe script at $RECIPE, found none" \
    "(set VECMLP_TORCH_RECIPE to its path)" >&2
  exit 2
fi

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# Build outside the timed runs.
"$ROOT/vecmlp" --help >/dev/null 2>&1 || { echo "main-job.sh: ./vecmlp does not run (see ./vecmlp --help)" >&2; exit 1; }

now() { date +%s%N; }

for ((r = 1; r <= RUNS; r++)); do
  t0=$(now)
  "$ROOT/vecmlp" train -o "$OUT/model.safetensors" "$@" >"$OUT/vecmlp.$r" 2>&1 </dev/null
  t1=$(now)
  echo "$(((t1 - t0) / 1000000))" >"$OUT/vecmlp-wall.$r"
  if ((TORCH)); then
    t0=$(now)
    "$RECIPE" "$ROOT/data/mnist-10k" >"$OUT/torch.$r" 2>"$OUT/torch-err.$r" </dev/null
    t1=$(now)
    echo "$(((t1 - t0) / 1000000))" >"$OUT/torch-wall.$r"
  fi
  echo "run $r of $RUNS done" >&2
done

# One line per run: whole loop epoch1 later step ratio accuracy [torch-whole torch-accuracy]
for ((r = 1; r <= RUNS; r++)); do
  tw=0 tacc=-
  if ((TORCH)); then
    tw=$(cat "$OUT/torch-wall.$r")
    tacc=$(awk 'NF >= 2 {print $2}' "$OUT/torch.$r" | tail -1)
  fi
  awk -v wall="$(cat "$OUT/vecmlp-wall.$r")" -v tw="$tw" -v tacc="${tacc:--}" '
    /^epoch +[0-9]+\/[0-9]+/ {
      split($2, e, "/"); t = $(NF - 1) + 0
      if (e[1] == 1) first = t; else later[++n] = t
    }
    /^training loop:/ { loop = $3 + 0; steps = $5; gsub(/[(,]/, "", steps) }
    /^test accuracy:/ { acc = $3 }
    END {
      if (!loop || !n) { print "unparsed"; exit }
      for (i = 2; i <= n; i++) { x = later[i]; for (j = i - 1; j >= 1 && later[j] > x; j--) later[j + 1] = later[j]; later[j + 1] = x }
      med = (n % 2) ? later[(n + 1) / 2] : (later[n / 2] + later[n / 2 + 1]) / 2
      epochs = n + 1; perEpoch = steps / epochs
      step = (loop - first) / (steps - perEpoch) * 1000
      printf "%.3f %.3f %.3f %.3f %.3f %.2f %s %.3f %s\n", wall / 1000, loop, first, med, step, first / med, acc, tw / 1000, tacc
    }' "$OUT/vecmlp.$r"
done >"$OUT/table"

if grep -q unparsed "$OUT/table"; then
  echo "main-job.sh: could not read the figures of a run; its output:" >&2
  for ((r = 1; r <= RUNS; r++)); do cat "$OUT/vecmlp.$r" >&2; done
  exit 1
fi

summary() { # column, label, unit, format
  sort -g -k"$1","$1" "$OUT/table" | awk -v c="$1" -v label="$2" -v unit="$3" -v fmt="$4" '
    { v[NR] = $c }
    END {
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%-22s " fmt " " unit "  [" fmt " - " fmt "]\n", label, med, v[1], v[NR]
    }'
}
echo "vecmlp train, $RUNS fresh JVMs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), cpu family" \
  "$(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores):"
summary 1 "whole command" s "%.2f"
summary 2 "training loop" s "%.2f"
summary 3 "epoch 1" s "%.2f"
summary 4 "later epoch (median)" s "%.3f"
summary 6 "epoch 1 / later" x "%.1f"
summary 5 "steady step" ms "%.3f"
echo "test accuracy:         $(awk '{print $7}' "$OUT/table" | sort -u | xargs)"
if ((TORCH)); then
  awk '{ printf "%.4f\n", $1 / $8 }' "$OUT/table" >"$OUT/ratio"
  paste -d' ' "$OUT/table" "$OUT/ratio" >"$OUT/table2" && mv "$OUT/table2" "$OUT/table"
  echo "PyTorch recipe, the same $RUNS runs between them:"
  summary 8 "whole command" s "%.2f"
  echo "test accuracy:         $(awk '{print $9}' "$OUT/table" | sort -u | xargs)"
  summary 10 "vecmlp / PyTorch" x "%.3f"
fi
