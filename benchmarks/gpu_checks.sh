#!/usr/bin/env bash
# The GPU figures of benchmarks/RESULTS.md, in one run on a machine with a GPU (the repo root as cwd):
#
#   OUT=/tmp/yeastcell_gpu bash benchmarks/gpu_checks.sh
#
# 1. bench_hybrid.py --gradient-cost-only: one loss+gradient vs the forward simulation of a batch (issue 6);
# 2. bench_simulate.py: core-model batches of 1, 1000 and 10000 vs libroadrunner on the same machine's CPU;
# 3. bench_sbml_batch.py: the imported Teusink 2000 SBML, 2000 perturbations vs libroadrunner;
# 4. bench_simulate.py --solver bdf: BatchBDF (the CPU default for large batches) on the GPU, for comparison.
#
# Each step appends its rows to benchmarks/RESULTS.md (the machine line names the GPU) and writes its log
# to $OUT; a copy of RESULTS.md goes to $OUT after every step. Needs libroadrunner and python-libsbml
# (installed, or as wheels in .whl/ for a machine without a package index) and the Teusink 2000 SBML under
# $YEASTCELL_REFERENCE_DATA (or sbml/biomodels/ in .refdata/). Each step has its own time limit (s).
set -u
OUT=${OUT:-/tmp/yeastcell_gpu}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site || exit 1
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if [ -d .refdata ]; then export YEASTCELL_REFERENCE_DATA="$PWD/.refdata"; fi

step() {  # step NAME LIMIT_S COMMAND...
  local name=$1 limit=$2
  shift 2
  echo "== $name ($(date -u +%H:%M:%S), limit ${limit} s): $*"
  timeout "$limit" "$@" 2>&1 | grep --line-buffered -v "algebraic_simplifier" | tee "$OUT/$name.log"
  echo "== $name exit ${PIPESTATUS[0]}"
  cp benchmarks/RESULTS.md "$OUT/RESULTS.md"
}

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import jax, diffrax, equinox, optax; print('jax', jax.__version__, jax.devices(), 'diffrax', diffrax.__version__, 'equinox', equinox.__version__, 'optax', optax.__version__)"
} 2>&1 | tee "$OUT/env.log"

step hybrid_grad "${LIMIT_HYBRID:-200}" python3 benchmarks/bench_hybrid.py --gradient-cost-only
step simulate "${LIMIT_SIMULATE:-170}" python3 benchmarks/bench_simulate.py --sizes 1 1000 10000 --rr 1000 --bdf 5 --record
step sbml_batch "${LIMIT_SBML:-150}" python3 benchmarks/bench_sbml_batch.py --n 2000 --record
step simulate_bdf "${LIMIT_BDF:-90}" python3 benchmarks/bench_simulate.py --solver bdf --sizes 1000 10000 --rr 200 --bdf 2 --record
