#!/usr/bin/env bash
# Install everything the build and the tests need, idempotently.
# Never touches the system's apt sources: the kernel source .deb comes from
# trixie-backports through a private apt configuration under $CACHE/apt.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${MIGSOCK_CACHE:-$HOME/.cache/migsock}
KVER=$(sed -n 's/^KVER *:= *//p' "$here/versions.mk")
SRC_PKG=linux-source-$KVER
SUITE=$(sed -n 's/^LINUX_SUITE *:= *//p' "$here/versions.mk")
BINDGEN_VER=$(sed -n 's/^BINDGEN_VER *:= *//p' "$here/versions.mk")

PKGS=(clang-22 lld-22 llvm-22 libclang-22-dev rustc-web rust-web-src
      make flex bison bc libelf-dev libssl-dev cpio quilt ccache
      busybox-static qemu-system-x86 iproute2 xz-utils kmod python3
      gcc libc6-dev rsync rust-web-clippy python3-ply python3-git
      trinity)

stamp="$CACHE/deps.stamp"
want="$(printf '%s ' "${PKGS[@]}") bindgen=$BINDGEN_VER src=$SRC_PKG"
mkdir -p "$CACHE"


missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The machine's Rust toolchain (rustup) may not be on PATH in a bare shell.
export PATH="$PATH:$HOME/.cargo/bin"
command -v cargo >/dev/null ||
	{ echo "deps: no cargo (the machine's rustup toolchain) found" >&2; exit 1; }

# bindgen, pinned, from crates.io.
BINDGEN="$CACHE/cargo/bin/bindgen"
if ! [ -x "$BINDGEN" ] || ! "$BINDGEN" --version 2>/dev/null | grep -q " $BINDGEN_VER\$"; then
	echo "deps: cargo install bindgen-cli $BINDGEN_VER"
	CARGO_TARGET_DIR="$CACHE/cargo-target" \
		cargo install --locked --root "$CACHE/cargo" --version "$BINDGEN_VER" bindgen-cli
fi

# The kernel source .deb, fetched with a private apt configuration and
# verified by apt against Debian's archive keyring.
apt_dir="$CACHE/apt"
deb=$(ls "$CACHE"/debs/"${SRC_PKG}"_*.deb 2>/dev/null | tail -n1 || true)
if [ -z "$deb" ]; then
	echo "deps: fetching $SRC_PKG from $SUITE (private apt config)"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$CACHE/debs"
	cat > "$apt_dir/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $SUITE main
SRC
	aptopts=(-o Dir::Etc::sourcelist="$apt_dir/sources.list"
		 -o Dir::Etc::sourceparts=-
		 -o Dir::State::Lists="$apt_dir/lists"
		 -o Dir::Cache::Archives="$apt_dir/archives"
		 -o Dir::Cache::pkgcache="$apt_dir/pkgcache.bin"
		 -o Dir::Cache::srcpkgcache="$apt_dir/srcpkgcache.bin"
		 -o APT::Get::List-Cleanup=0)
	apt-get "${aptopts[@]}" update -qq
	(cd "$CACHE/debs" && apt-get "${aptopts[@]}" download "$SRC_PKG")
	deb=$(ls "$CACHE"/debs/"${SRC_PKG}"_*.deb | tail -n1)
fi
[ -s "$deb" ] || { echo "deps: $SRC_PKG .deb missing" >&2; exit 1; }
echo "$want" > "$stamp"
echo "deps: ok ($(basename "$deb"), bindgen $("$BINDGEN" --version | awk '{print $2}'))"
