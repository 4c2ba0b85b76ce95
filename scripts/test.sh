#!/usr/bin/env bash
# Runs the whole test suite: unit tests, then every integration test on SQLite
# and again on PostgreSQL. Installs or starts what the tests need, idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL on 127.0.0.1:5432 (trust auth). Start the local cluster if it is down.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

# Real mail peers for the email tests: Dovecot (IMAP) from Debian, an aiosmtpd sink
# (SMTP) from PyPI; and Chromium for the browser tests. `apt-get update` once, only
# when something is missing.
need=()
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check aiosmtpd
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

# House habits first: one format, no lint warnings (fails fast, before the long suites).
echo "== format and lints =="
cargo fmt --all --check
cargo clippy --workspace --quiet -- -D warnings

echo "== tests on SQLite =="
ATIENDE_TEST_BACKEND=sqlite cargo nextest run --workspace --no-fail-fast
echo "== tests on PostgreSQL =="
ATIENDE_TEST_BACKEND=postgres cargo nextest run --workspace --no-fail-fast

# Browser tests: Debian's Chromium (installed above) driven by playwright-core.
echo "== browser tests (Chromium) =="
cargo build -p atiende -p atiende-testkit --bins
target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
(cd tests/browser && npm ci --no-audit --no-fund --silent && ATIENDE_BIN="$target_dir/debug/atiende" FAKE_IDP_BIN="$target_dir/debug/fake-idp" FAKE_GRAPH_BIN="$target_dir/debug/fake-graph" node --test)

# A short, bounded fuzzing pass over the MIME and address parsers (cargo-fuzz on the
# stable toolchain; RUSTC_BOOTSTRAP lets it use the sanitizer flags). Longer runs:
# see docs/email.md.
echo "== fuzzing (bounded) =="
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O mime corpus/mime ../tests/corpus/mime -- -max_total_time=60 -rss_limit_mb=2048 -timeout=10 \
  && RUSTC_BOOTSTRAP=1 cargo fuzz run -O address corpus/address -- -max_total_time=20 -timeout=10 \
  && RUSTC_BOOTSTRAP=1 cargo fuzz run -O meta corpus/meta -- -max_total_time=30 -timeout=10)
