#!/usr/bin/env bash
# Installs the Python reference (dual-auth 1.0.1 from PyPI) into a virtual
# environment at .cache/pyref-venv (git-ignored) for the interop suite and
# `npm run bench:python`. Idempotent: a venv that already has the right version
# is left alone, so re-runs take well under a second.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${DUAL_AUTH_PYREF_VENV:-.cache/pyref-venv}"
WANT="1.0.1"
PYTHON="${PYTHON:-python3}"

have_version() {
  [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('dual-auth') == '$WANT' else 1)" 2>/dev/null
}

if have_version; then
  echo "dual-auth==$WANT already installed in $VENV"
  exit 0
fi

mkdir -p "$(dirname "$VENV")"
if [ ! -x "$VENV/bin/python" ]; then
  # A half-made venv (interrupted run) is rebuilt from scratch.
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# The reference's own dependencies pinned to the versions the interop suite was
# written against (error class names such as PyJWT's are part of what it compares).
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c scripts/interop/constraints.txt "dual-auth==$WANT"

have_version || { echo "dual-auth==$WANT did not install into $VENV" >&2; exit 1; }
"$VENV/bin/python" -c "import dual_auth, jwt, requests, cryptography; print('dual-auth', dual_auth.__version__ if hasattr(dual_auth, '__version__') else '$WANT', '| PyJWT', jwt.__version__, '| requests', requests.__version__, '| cryptography', cryptography.__version__)"
