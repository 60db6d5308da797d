#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Line coverage of the MTCP core (rust-migsock/mtcp, test modules excluded)
# by the host tests: builds them with -Cinstrument-coverage and reports with
# llvm-profdata/llvm-cov of the same LLVM major as rustc (LLVM=-22 default).
#
#   tests/coverage.sh            (from rust-migsock/; writes to $TMPDIR)
set -eu
cd "$(dirname "$0")/.."
llvm=${LLVM:--22}
work=${TMPDIR:-/tmp}/migsock-cov
rm -rf "$work" && mkdir -p "$work/prof"
RUSTFLAGS="-Cinstrument-coverage" LLVM_PROFILE_FILE="$work/prof/%p-%m.profraw" \
	CARGO_TARGET_DIR="$work/target" cargo test -j1 --tests >"$work/test.log" 2>&1
"llvm-profdata$llvm" merge -sparse "$work"/prof/*.profraw -o "$work/merged.profdata"
objs=""
for f in $(find "$work/target/debug/deps" -maxdepth 1 -type f -perm -u+x); do
	objs="$objs -object $f"
done
# shellcheck disable=SC2086
"llvm-cov$llvm" export -format=lcov -instr-profile="$work/merged.profdata" $objs \
	--ignore-filename-regex='(\.cargo|rustc|/tests/)' >"$work/lcov.info"
python3 - "$work/lcov.info" <<'PY'
import collections, sys
cur, data = None, collections.defaultdict(dict)
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("SF:"):
        cur = line[3:]
    elif line.startswith("DA:"):
        n, c = line[3:].split(",")[:2]
        data[cur][int(n)] = max(int(c), data[cur].get(int(n), 0))
tot = hit = 0
for f, d in sorted(data.items()):
    src = open(f).read().split("\n")
    cut = next((i + 1 for i, l in enumerate(src) if l.strip() == "#[cfg(test)]"), len(src) + 1)
    lines = {n: c for n, c in d.items() if n < cut}
    t, h = len(lines), sum(1 for c in lines.values() if c)
    tot, hit = tot + t, hit + h
    print(f"{f.split('/')[-1]:12} {h:5}/{t:5} lines {100 * h / max(t, 1):6.2f}%")
print(f"TOTAL        {hit:5}/{tot:5} lines {100 * hit / max(tot, 1):6.2f}%")
PY
