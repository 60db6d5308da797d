#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the cargo-fuzz targets of the MTCP core, each for a bounded time.
#
#   fuzz/run.sh [SECONDS-PER-TARGET] [TARGET...]     (default: 60, all)
#
# Needs cargo-fuzz (cargo install --locked cargo-fuzz). libFuzzer and the
# sanitizer need nightly features; on a stable toolchain RUSTC_BOOTSTRAP=1
# unlocks them. The committed seeds in fuzz/seeds (written by
# `cargo test --test fuzz_seeds -- --ignored`) start each corpus; the
# corpora and crash artifacts go to fuzz/corpus and fuzz/artifacts
# (git-ignored). A finding makes the script fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"header route metasock auth"}
cargo_fuzz=${CARGO_FUZZ:-$(command -v cargo-fuzz || echo "$HOME/.cache/migsock/cargo/bin/cargo-fuzz")}
if [ ! -x "$cargo_fuzz" ]; then
	echo "fuzz/run.sh: cargo-fuzz not found (cargo install --locked cargo-fuzz)" >&2
	exit 2
fi
export RUSTC_BOOTSTRAP=1
cd "$here/.."
status=0
for t in $targets; do
	mkdir -p "$here/corpus/$t" "$here/artifacts/$t"
	echo "== fuzz $t for ${secs}s"
	"$cargo_fuzz" run --fuzz-dir "$here" "$t" "$here/corpus/$t" "$here/seeds/$t" -- \
		-max_total_time="$secs" -rss_limit_mb=2048 -max_len=4096 \
		-artifact_prefix="$here/artifacts/$t/" -print_final_stats=1 || status=1
done
exit $status
