#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh - build lanyard and start it.  Extra arguments go to lanyard; with
# none it starts the default configuration (a stream listener and a dgram
# endpoint) and prints the QEMU -netdev option for each.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
deps_ensure build
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
exec build/src/lanyard "$@"
