#!/usr/bin/env bash
# Configure and build bzImage out of tree in build/kernel.
#   base: tinyconfig; then configs/*.config merged in; then olddefconfig;
#   then every option a fragment asked for must have survived.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MIGSOCK_CACHE:-$HOME/.cache/migsock}
out=${KBUILD_OUT:-$top/build/kernel}
jobs=${JOBS:-$(nproc)}
fragments=$(for f in ${CONFIG_FRAGMENTS:-$(ls "$top"/configs/*.config)}; do realpath "$f"; done)

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Paths under the checkout hash as relative ones: clones share the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$top}
# Kbuild embeds the build time otherwise, which defeats ccache.
export KBUILD_BUILD_TIMESTAMP="${KBUILD_BUILD_TIMESTAMP:-2026-01-01}"
export KBUILD_BUILD_USER=migsock KBUILD_BUILD_HOST=migsock
# ccache keys include the locale: keep it the same whoever calls us.
export LC_ALL=C LANG=C
export LIBCLANG_PATH=/usr/lib/llvm-22/lib
export PATH="$CACHE/cargo/bin:$PATH"

kmake=(make -C "$top/linux" O="$out" ARCH=x86_64 LLVM=-22
       CC="ccache clang-22"
       RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc BINDGEN=bindgen)

mkdir -p "$out"
want=$(cat $fragments | sha256sum | cut -c1-16)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.migsock-config" 2>/dev/null)" != "$want" ]; then
	echo "kernel: configuring (tinyconfig + ${fragments//$top\//})"
	"${kmake[@]}" -s tinyconfig
	(cd "$out" && KCONFIG_CONFIG=.config "$top/linux/scripts/kconfig/merge_config.sh" \
		-m -O "$out" .config $fragments >/dev/null)
	"${kmake[@]}" -s olddefconfig
	# A silently dropped option is an error.
	bad=0
	for f in $fragments; do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=*) opt=${line%%=*}; val=${line#*=}
				got=$(grep -E "^$opt=" "$out/.config" | cut -d= -f2- || true) ;;
			"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; val=n
				got=$(grep -E "^$opt=" "$out/.config" | cut -d= -f2- || true)
				[ -z "$got" ] && got=n ;;
			*) continue ;;
			esac
			if [ "$got" != "$val" ]; then
				echo "kernel: ERROR: ${f##*/} asks for $opt=$val, .config has '${got:-unset}'" >&2
				bad=1
			fi
		done < "$f"
	done
	if [ $bad -ne 0 ]; then
		echo "kernel: config check failed; 'make -C linux O=$out menuconfig' shows why" >&2
		rm -f "$out/.migsock-config"
		exit 1
	fi
	echo "$want" > "$out/.migsock-config"
fi
"${kmake[@]}" -s rustavailable >/dev/null
"${kmake[@]}" -j"$jobs" bzImage
# UAPI headers (MSC_*, __NR_migsock) for the user-space programs.
"${kmake[@]}" -s headers_install INSTALL_HDR_PATH="$out/usr"
echo "kernel: $(ls -l "$out/arch/x86/boot/bzImage" | awk '{print $5}') bytes: $out/arch/x86/boot/bzImage"
