#!/usr/bin/env bash
# The GPU benchmark in one call (issue 15). Two steps:
#
#   bench/gpu_run.sh pack    here, on the CPU machine: the wheels the GPU image lacks, for its Python 3.12,
#                            at the versions this checkout is tested with, into .gpu-bench/wheels (git-ignored)
#   bench/gpu_run.sh run     there, from the repo root, with .gpu-bench carried: installs the wheels into
#                            /tmp/site, runs --check then the benchmark; the table is printed last and
#                            $OUT/gpu_throughput.json + $OUT/log.txt come back. Ends inside 8 minutes.
#
# Device call:  run(command="bash bench/gpu_run.sh run", carry=[".gpu-bench"], timeout_s=540)
set -u
cd "$(dirname "$0")/.."
WHEELS=.gpu-bench/wheels
# Not on the GPU image (diffusers, soundfile, soxr, pyloudnorm, torchsde), or older there than this checkout is tested
# with (transformers checks regex at import).
NAMES="diffusers transformers regex importlib-metadata soundfile cffi pycparser soxr pyloudnorm torchsde trampoline"

case "${1:-}" in
pack)
    rm -rf "$WHEELS" && mkdir -p "$WHEELS" || exit 1
    pins=$(python - "$NAMES" <<'PY'
import sys
from importlib.metadata import version
print(" ".join(f"{name}=={version(name)}" for name in sys.argv[1].split()))
PY
) || exit 1
    # shellcheck disable=SC2086
    python -m pip download --no-deps --only-binary=:all: -q -d "$WHEELS" --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 --platform manylinux1_x86_64 $pins || exit 1
    ls "$WHEELS"
    du -sh "$WHEELS"
    ;;
run)
    ls "$WHEELS"/*.whl >/dev/null 2>&1 || { echo "gpu_run.sh: no wheels in $WHEELS: run 'bench/gpu_run.sh pack' first and carry .gpu-bench" >&2; exit 2; }
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHEELS"/*.whl || exit 1
    export PYTHONPATH=/tmp/site:src PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
    OUT=${OUT:-/tmp/gpu-bench-out}
    mkdir -p "$OUT"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    # 450 s hard stop; the script stops starting measurements at 380 s and prints its table.
    timeout -k 10 450 python3 bench/gpu_throughput.py --check --out "$OUT" --budget-s 380 2>&1 | tee "$OUT/log.txt"
    ;;
*)
    echo "usage: bench/gpu_run.sh pack|run" >&2
    exit 2
    ;;
esac
