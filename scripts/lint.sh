#!/usr/bin/env bash
# make lint: checkpatch --strict on every patch, rustfmt (kernel config) and
# clippy (make CLIPPY=1) on the Rust subsystem.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MIGSOCK_CACHE:-$HOME/.cache/migsock}
rc=0
# From patches/: run at the top of our git checkout, checkpatch takes every
# blank context line for trailing whitespace.
for p in $(grep -v '^#' "$top/patches/series"); do
	(cd "$top/patches" && PATH=/usr/bin:$PATH perl "$top/linux/scripts/checkpatch.pl" \
		--strict --terse --no-summary "$p" 2>/dev/null) || rc=1
done
rustfmt --config-path "$top/linux/.rustfmt.toml" --edition 2021 --check \
	"$top/rust-migsock/migsock.rs" || rc=1
touch "$top/rust-migsock/migsock.rs"
log=$(CCACHE_DIR=$CACHE/ccache LIBCLANG_PATH=/usr/lib/llvm-22/lib PATH="$CACHE/cargo/bin:$PATH" \
	make -C "$top/linux" O="${LINT_KOUT:-$top/build/kernel}" ARCH=x86_64 LLVM=-22 CC="ccache clang-22" \
	RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc BINDGEN=bindgen \
	CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver hpc/migsock/ 2>&1) || { echo "$log"; rc=1; }
if echo "$log" | grep -E '^(warning|error)'; then
	echo "$log" | grep -E '^(warning|error)' -A8
	rc=1
fi
[ $rc -eq 0 ] && echo "lint: checkpatch, rustfmt and clippy clean"
exit $rc
