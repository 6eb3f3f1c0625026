#!/usr/bin/env bash
# Runs every test: formatting, Rust unit + integration tests, and the Python client tests
# (in a virtualenv this script creates). Used by the README and by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
phase() { echo "== [$((SECONDS - start)) s] $*"; }

phase "cargo fmt --check"
cargo fmt --all -- --check

phase "cargo build"
cargo build --locked --all-targets

phase "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --locked --no-fail-fast
else
    cargo test --locked --no-fail-fast
fi

if compgen -G "tests/python/test_*.py" >/dev/null; then
    phase "Python client tests"
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    .venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    target_dir="${CARGO_TARGET_DIR:-$(pwd)/target}"
    IGFLIGHT_BIN="$target_dir/debug/igflight" .venv/bin/python -m pytest -q tests/python
fi
phase "all tests passed"
