#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh - the whole test suite, as CI runs it:
#   1. gcc build: unit tests, fuzz corpus replays, lints, integration tests
#      (root: namespaces, real QEMU guests);
#   2. clang build: unit tests, corpus replays, lints;
#   3. gcc ASan+UBSan build: everything of step 1 again, which must be clean;
#   4. clang libFuzzer build: each fuzz target runs for a few seconds.
# Installs what it needs from Debian packages when run as root.  Warnings
# are errors here (-Dwerror), as in CI.  Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
deps_ensure test

FUZZ_SECONDS=${FUZZ_SECONDS:-10}
passed=0 failed=0 skipped=0
failures=()

count() {	# builddir label: add meson's results to the totals
	local log=$1/meson-logs/testlog.json p f s
	[ -f "$log" ] || return 0
	p=$(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$log")
	f=$(jq -s '[.[] | select(.result != "OK" and .result != "EXPECTEDFAIL" and .result != "SKIP")] | length' "$log")
	s=$(jq -s '[.[] | select(.result == "SKIP")] | length' "$log")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$f" -ne 0 ]; then
		failures+=("$2: $(jq -rs '[.[] | select(.result != "OK" and .result != "EXPECTEDFAIL" and .result != "SKIP") | .name] | join(", ")' "$log")")
	fi
}

build() {	# dir, setup args...
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" -Dwerror=true "$@" >/dev/null
	else
		meson configure "$dir" -Dwerror=true "$@" >/dev/null
	fi
	ninja -C "$dir"
}

suite() {	# dir label meson-test-args...
	local dir=$1 label=$2; shift 2
	echo "=== $label"
	meson test -C "$dir" --print-errorlogs "$@" || true
	count "$dir" "$label"
}

build build-test-gcc
suite build-test-gcc gcc

CC=clang build build-test-clang
suite build-test-clang clang --suite unit --suite fuzz-corpus --suite lint

build build-test-asan -Db_sanitize=address,undefined -Db_lundef=false
suite build-test-asan asan+ubsan

echo "=== libFuzzer, ${FUZZ_SECONDS}s per target"
CC=clang build build-test-fuzz -Dfuzz=true
if tests/fuzz/run.sh "$FUZZ_SECONDS" build-test-fuzz; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	failures+=("libFuzzer run")
fi

for f in "${failures[@]}"; do echo "FAILED in $f"; done
echo "lanyard: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
