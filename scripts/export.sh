#!/usr/bin/env bash
# export.sh OUTDIR: a stand-alone quilt series with the Rust sources of
# rust-migsock/ folded into the patch that adds the subsystem's build glue,
# so every patch of the exported series still builds.  Not committed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$1
glue=$(grep -m1 'migsock-add-Kconfig' "$top/patches/series")
rm -rf "$out" && mkdir -p "$out"
cp "$top/patches/series" "$out/series"
for p in $(grep -v '^#' "$top/patches/series"); do
	cp "$top/patches/$p" "$out/$p"
done
files=$(cd "$top/rust-migsock" && { echo Makefile; ls ./*.rs mtcp/*.rs; } | sed 's|^\./||')
for f in $files; do
	(cd "$top/rust-migsock" && git diff --no-index --no-prefix /dev/null "$f" || true) |
		sed -e "s|^+++ $f|+++ b/hpc/migsock/$f|" -e "s|^diff --git /dev/null $f|diff --git a/hpc/migsock/$f b/hpc/migsock/$f|" \
		    -e '/^index /d' >> "$out/$glue"
done
echo "export: $(wc -l < "$out/series") patches in $out (Rust sources in $glue)"
