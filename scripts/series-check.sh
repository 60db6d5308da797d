#!/usr/bin/env bash
# series-check.sh [BUILD]: does the tree build after every patch?
#
# For each patch of patches/series, in a hard-linked copy of linux/ with the
# series applied up to that patch: compile every C file the series has
# touched so far, with the flags Kbuild used for it in BUILD (default
# build/kernel-debug, which must be built), and list the hpc/migsock
# functions those objects call that neither they nor the Rust subsystem
# define (code from a later patch).  A full kernel build per patch would
# take hours here; this takes about half a minute per patch.
# Prints one line per patch and exits non-zero if any patch fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$top/build/kernel-debug}
# The real directory: a symlinked linux/ copied as a link would have the
# loop below rewrite the tree itself.
tree=$(realpath "$top/linux")
O=$(mktemp -d /tmp/series-check.XXXXXX)
trap 'rm -rf "$O"' EXIT
[ -f "$B/vmlinux" ] || { echo "series-check: build $B first (make kernel-debug)" >&2; exit 1; }
[ -f "$tree/.pc/applied-patches" ] || { echo "series-check: no quilt tree in linux/ (make tree)" >&2; exit 1; }
mapfile -t series < <(grep -v '^#' "$top/patches/series")

mkdir "$O/t" && cp -al "$tree/." "$O/t/"
# Every file the series touches, back to what it was before the first
# patch that touches it (quilt keeps that copy in .pc; empty: a new file).
declare -A seen
for p in "${series[@]}"; do
	for f in $(sed -n 's|^+++ b/||p' "$top/patches/$p"); do
		[ -n "${seen[$f]:-}" ] && continue
		seen[$f]=1
		rm -f "$O/t/$f"
		if [ -s "$tree/.pc/$p/$f" ]; then
			mkdir -p "$(dirname "$O/t/$f")" && cp "$tree/.pc/$p/$f" "$O/t/$f"
		fi
	done
done
nm --defined-only "$B"/hpc/migsock/*.o 2>/dev/null | awk '{ print $3 }' | sort -u > "$O/rust"
nm "$B/vmlinux" | awk '{ print $3 }' | sort -u > "$O/vmlinux"

bad=0
declare -A touched
for p in "${series[@]}"; do
	if ! (cd "$O/t" && patch -s -p1 --fuzz=0 --no-backup-if-mismatch < "$top/patches/$p"); then
		echo "FAIL $p: does not apply"; bad=1; break
	fi
	for f in $(sed -n 's|^+++ b/||p' "$top/patches/$p"); do touched[$f]=1; done
	errs=0 objs=()
	for f in "${!touched[@]}"; do
		[[ $f == *.c ]] && [ -f "$O/t/$f" ] || continue
		o=${f%.c}.o
		cmdf=$B/$(dirname "$o")/.$(basename "$o").cmd
		[ -f "$cmdf" ] || continue
		obj=$O/$(echo "$o" | tr / _)
		# Kbuild's command, pointed at the copy; objtool's step dropped.
		cmd=$(sed -n 's/^savedcmd_[^ ]* := //p' "$cmdf" |
			sed -e "s#$tree#$O/t#g" -e 's#-Wp,-MMD,[^ ]*##' -e "s# -o [^ ]*# -o $obj#" -e 's#;.*##')
		if ! out=$(cd "$B" && eval "$cmd" 2>&1) || grep -q 'error' <<< "$out"; then
			echo "$out" | grep -E 'error' | head -n 5 | sed "s|^|    $p: |"
			errs=1
		fi
		objs+=("$obj")
	done
	missing=""
	if [ ${#objs[@]} -gt 0 ]; then
		nm --defined-only "${objs[@]}" 2>/dev/null | awk '{ print $3 }' | sort -u > "$O/def"
		nm -u "${objs[@]}" 2>/dev/null | awk '{ print $2 }' | sort -u |
			comm -23 - "$O/def" | comm -23 - "$O/rust" > "$O/undef"
		# Ours (hpc_, migsock_, mtcp_, ms_) and not defined yet; or no one's.
		missing=$(grep -E '^(hpc|migsock|mtcp|ms)_' "$O/undef" | tr '\n' ' ')
		missing+=$(grep -vE '^(hpc|migsock|mtcp|ms)_' "$O/undef" | comm -23 - "$O/vmlinux" | tr '\n' ' ')
	fi
	if [ "$errs" -ne 0 ] || [ -n "$missing" ]; then
		echo "FAIL $p${missing:+: undefined $missing}"; bad=1
	else
		echo "ok   $p (${#objs[@]} objects)"
	fi
	rm -f "${objs[@]}"
done
exit $bad
