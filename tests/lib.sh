# Helpers for scenario tests (sourced).  A test is a function test_NAME in
# tests/cluster/*.sh; it passes if it returns 0.  NODES is the node count.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# on NODE CMD...: run CMD on a node; its output and status.
on() {
	"$top/qemu/cluster" exec "$@"
}

fail() {
	echo "  failed: $*" >&2
	return 1
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# expect_fails WHAT NODE CMD...: CMD must exit non-zero.
expect_fails() {
	local what=$1
	shift
	if on "$@" >/dev/null 2>&1; then
		fail "$what: succeeded, should have failed"
	fi
}
