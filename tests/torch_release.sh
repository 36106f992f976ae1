#!/usr/bin/env bash
# The course on another PyTorch release than this machine's, in a venv of its own:
# the oldest pyproject.toml declares (torch>=2.4, torchvision>=0.19), or the newest pip
# resolves with this machine's cap lifted (what a learner's fresh `pip install` gets).
#
#   bash tests/torch_release.sh oldest             # .venv-oldest/ (once): unit tests + notebooks
#   bash tests/torch_release.sh newest             # .venv-newest/: the newest torch + torchvision
#   bash tests/torch_release.sh newest unit        # only the unit tests (no kernel, no browser)
#   bash tests/torch_release.sh oldest notebooks   # only the notebooks (nbval, both editions)
#   TORCH=2.5.1 TORCHVISION=0.20.1 bash tests/torch_release.sh oldest   # another pair
#   PYTEST_ARGS="-x -k mse" bash tests/torch_release.sh oldest unit     # extra pytest arguments
#
# Idempotent: a stamp file in the venv records what it was built for; a second run skips the
# torch install and only tests (after a quick `pip install -e ".[test,classroom]"` when
# pyproject.toml changed). "newest" asks pip again each time (a quick no-op when nothing is
# newer) and rebuilds the venv when a newer release appeared.
# The machine's pip constraint (torch<=<its release>) is lifted for the torch install only.
# Exit status: non-zero when the install or any test fails.
set -uo pipefail

RELEASE="${1:-oldest}"
case "$RELEASE" in oldest|newest) shift || true ;; *) echo "usage: $0 oldest|newest [all|unit|notebooks|install]"; exit 2;; esac
if [ "$RELEASE" = oldest ]; then
  TORCH="${TORCH:-2.4.1}"
  TORCHVISION="${TORCHVISION:-0.19.1}"
else
  TORCH="${TORCH:-}"            # empty: whatever pip resolves as newest
  TORCHVISION="${TORCHVISION:-}"
fi
# torch 2.4.1 works with the numpy 2.x that pip picks (checked with numpy 2.4.6): leave empty,
# or set e.g. NUMPY_PIN='numpy<2' for an older torch built against numpy 1.x only.
NUMPY_PIN="${NUMPY_PIN:-}"
# as `make setup`: the unit tests import nbgrader (classroom) too
EXTRAS="${EXTRAS:-test,classroom}"
VENV="${VENV:-.venv-$RELEASE}"
PYTHON="${PYTHON:-python3}"
# a CPU-only wheel index, used when it answers (much smaller than PyPI's CUDA wheels)
CPU_INDEX="${CPU_INDEX:-https://download.pytorch.org/whl/cpu}"

cd "$(dirname "$0")/.." || exit 2
if [ "$RELEASE" = newest ] && [ -z "$TORCH" ]; then
  # what a learner's `pip install torch torchvision` resolves today, this machine's cap lifted
  PINS=$(PIP_CONSTRAINT=/dev/null "$PYTHON" -m pip install --dry-run --quiet --ignore-installed \
           --report - torch torchvision 2>/dev/null | "$PYTHON" -c '
import json, sys
found = {p["metadata"]["name"].lower(): p["metadata"]["version"] for p in json.load(sys.stdin)["install"]}
print(found["torch"].split("+")[0], found["torchvision"].split("+")[0])') \
    || { echo "torch_release newest: pip could not resolve torch torchvision (no registry?)"; exit 1; }
  read -r TORCH TORCHVISION <<< "$PINS"
  echo "torch_release newest: pip resolves torch $TORCH, torchvision $TORCHVISION"
fi
START=$(date +%s)
WHAT="${1:-all}"
case "$WHAT" in all|unit|notebooks|install) ;; *) echo "usage: $0 [all|unit|notebooks|install]"; exit 2;; esac

elapsed() { echo "$(( $(date +%s) - START ))s"; }
fail() { echo "torch_release $RELEASE: $*  (total $(elapsed))"; exit 1; }

BIN="$VENV/bin"
STAMP="$VENV/.oldest-installed"            # the torch pair (and numpy pin) it was built with
DEPS_STAMP="$VENV/.oldest-pyproject"       # the pyproject.toml its course install followed
WANT="torch==$TORCH torchvision==$TORCHVISION numpy:${NUMPY_PIN:-any}"
PYPROJECT="$(sha1sum pyproject.toml | cut -c1-12) [$EXTRAS]"

install_course() {
  # the course and its test tools; the torch installed above satisfies torch>=2.4 and stays
  # (the explicit pins make pip refuse any upgrade of them rather than do it silently)
  PIP_CONSTRAINT=/dev/null "$BIN/python" -m pip install ${1:-} -e ".[$EXTRAS]" "torch==$TORCH" "torchvision==$TORCHVISION" \
      ${NUMPY_PIN:+"$NUMPY_PIN"} \
    || fail "pip install -e .[$EXTRAS] failed"
  echo "$PYPROJECT" > "$DEPS_STAMP"
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$BIN/python" ]; then
  echo "torch_release $RELEASE: $VENV already has $WANT"
  if [ "$(cat "$DEPS_STAMP" 2>/dev/null)" != "$PYPROJECT" ]; then
    echo "torch_release $RELEASE: pyproject.toml changed: updating the course install"
    install_course --quiet
  fi
else
  T0=$(date +%s)
  if [ -d "$VENV" ]; then
    echo "torch_release $RELEASE: rebuilding $VENV (stamp: $(cat "$STAMP" 2>/dev/null || echo none); want: $WANT)"
    rm -rf "$VENV"
  fi
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || fail "Python 3.11+ needed"
  "$PYTHON" -m venv "$VENV" || fail "python -m venv failed"
  # keep git (and the tests that list the working tree with git ls-files) out of the venv,
  # as Python 3.13's venv does by itself
  echo '*' > "$VENV/.gitignore"
  "$BIN/python" -m pip install --quiet --upgrade pip || fail "pip upgrade failed"

  INDEX_ARGS=()
  if "$BIN/python" - "$CPU_INDEX" <<'EOF' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/torch/", timeout=10)
EOF
  then
    echo "torch_release $RELEASE: using the CPU-only wheels of $CPU_INDEX"
    INDEX_ARGS=(--index-url "$CPU_INDEX" --extra-index-url https://pypi.org/simple)
  else
    echo "torch_release $RELEASE: $CPU_INDEX not reachable: PyPI's default (CUDA) wheels"
  fi
  # the machine's constraint file caps torch at the newest release: lifted for this one command
  PIP_CONSTRAINT=/dev/null "$BIN/python" -m pip install "${INDEX_ARGS[@]}" \
      "torch==$TORCH" "torchvision==$TORCHVISION" ${NUMPY_PIN:+"$NUMPY_PIN"} \
    || fail "installing torch==$TORCH torchvision==$TORCHVISION failed"
  install_course
  "$BIN/python" -c "import torch, torchvision, numpy; torch.from_numpy(numpy.zeros(2)); print('torch_release $RELEASE: torch', torch.__version__, 'torchvision', torchvision.__version__, 'numpy', numpy.__version__)" \
    || fail "torch does not import (or does not work with this numpy: try NUMPY_PIN='numpy<2')"
  echo "$WANT" > "$STAMP"
  echo "torch_release $RELEASE: install took $(( $(date +%s) - T0 ))s; $VENV is $(du -sh "$VENV" | cut -f1)"
fi
[ "$WHAT" = install ] && { echo "torch_release $RELEASE: total $(elapsed)"; exit 0; }

# the notebooks' kernels run in this Python (conftest.py sets nbval's current env)
export PATH="$(pwd)/$BIN:$PATH"
STATUS=0
if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
  echo "torch_release $RELEASE: unit tests on torch $TORCH"
  # shellcheck disable=SC2086
  "$BIN/python" -m pytest -q -n 2 -m "not kernel and not browser and not site" course_utils tests ${PYTEST_ARGS:-} \
    || STATUS=1
fi
if [ "$WHAT" = all ] || [ "$WHAT" = notebooks ]; then
  echo "torch_release $RELEASE: notebooks on torch $TORCH"
  # shellcheck disable=SC2086
  "$BIN/python" -m pytest -q --nbval -n 2 --dist loadscope notebooks/ learner/ ${PYTEST_ARGS:-} || STATUS=1
fi
echo "torch_release $RELEASE: torch $TORCH torchvision $TORCHVISION: $([ $STATUS = 0 ] && echo passed || echo FAILED); total $(elapsed)"
exit $STATUS
