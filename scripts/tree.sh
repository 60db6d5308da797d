#!/usr/bin/env bash
# Build linux/: Debian's linux-source unpacked, patches/ applied with quilt,
# rust-migsock/ linked in as hpc/migsock.  Re-running after a change to
# patches/ pops the old series and pushes the new one, then touches every
# file either series changed so Kbuild rebuilds them.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MIGSOCK_CACHE:-$HOME/.cache/migsock}
KVER=$(sed -n 's/^KVER *:= *//p' "$top/scripts/versions.mk")
tree="$top/linux"
export QUILT_PATCHES="$top/patches" QUILT_PC=.pc QUILT_PUSH_ARGS="--color=never"

deb=$(ls "$CACHE"/debs/linux-source-"$KVER"_*.deb 2>/dev/null | tail -n1 || true)
[ -n "$deb" ] || { echo "tree: no linux-source-$KVER .deb in $CACHE/debs: run 'make deps'" >&2; exit 1; }
tarball="$CACHE/src/linux-source-$KVER.tar.xz"
if [ ! -f "$tarball" ] || [ "$deb" -nt "$tarball" ]; then
	rm -rf "$CACHE/src" && mkdir -p "$CACHE/src"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$CACHE/src" --strip-components=3 \
		"./usr/src/linux-source-$KVER.tar.xz"
fi

series_id() { (cd "$top/patches" && cat series $(grep -v '^#' series)) | sha256sum | cut -c1-16; }
want=$(series_id)
stamp="$tree/.migsock-series"

if [ -d "$tree" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "tree: up to date (series $want)"
else
	touched=$(mktemp)
	if [ -d "$tree/.pc" ] && [ -f "$stamp" ]; then
		echo "tree: patches changed, re-applying"
		(cd "$tree" && quilt files -a 2>/dev/null || true) >> "$touched"
		(cd "$tree" && quilt pop -a -q) >/dev/null || {
			echo "tree: quilt pop failed; delete linux/ and re-run" >&2; exit 1; }
	elif [ ! -d "$tree" ] || [ ! -f "$stamp" ]; then
		echo "tree: unpacking $(basename "$tarball")"
		rm -rf "$tree" "$tree.tmp" && mkdir -p "$tree.tmp"
		tar -xf "$tarball" -C "$tree.tmp" --strip-components=1
		mv "$tree.tmp" "$tree"
	fi
	rm -f "$stamp"
	if [ -s "$top/patches/series" ]; then
		if ! (cd "$tree" && quilt push -a -q --fuzz=0); then
			echo "tree: ERROR: a patch in patches/ does not apply (see above)" >&2
			exit 1
		fi
		(cd "$tree" && quilt files -a) >> "$touched"
	fi
	# Files either series touched must look newer than their objects.
	sort -u "$touched" | while read -r f; do
		[ -e "$tree/$f" ] && touch "$tree/$f"
	done
	rm -f "$touched"
	echo "$want" > "$stamp"
fi

# The Rust subsystem is linked, never copied.
if [ -d "$tree/hpc" ]; then
	ln -sfn "$top/rust-migsock" "$tree/hpc/migsock"
fi
echo "tree: ok"
