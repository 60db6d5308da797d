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

# ---- helpers of the migration and benchmark scenarios ----

# need_nodes N: the cluster has at least N nodes (else the test is skipped).
need_nodes() {
	if [ "$NODES" -lt "$1" ]; then
		echo "  skipped: needs $1 nodes, cluster has $NODES" >&2
		return 1
	fi
}

# spawn NODE NAME CMD: run CMD in the background on NODE, its stdout and
# stderr to /tmp/NAME.out, followed by a line "exit STATUS" with the status
# its parent shell saw (128 + signal if a signal ended it).
spawn() {
	local node=$1 name=$2
	shift 2
	on "$node" "rm -f /tmp/$name.out; ( $* ; echo \"exit \$?\" ) > /tmp/$name.out 2>&1 < /dev/null &"
}

# wait_line NODE NAME REGEX [SECONDS]: wait until /tmp/NAME.out on NODE has
# a line matching REGEX (grep -E); print that line.
wait_line() {
	local node=$1 name=$2 re=$3 secs=${4:-120} start=$SECONDS line
	while [ $((SECONDS - start)) -lt "$secs" ]; do
		line=$(on "$node" "grep -E -m1 -- '$re' /tmp/$name.out" 2>/dev/null) &&
			{ echo "$line"; return 0; }
		sleep 0.5
	done
	echo "  /tmp/$name.out on node $node:" >&2
	on "$node" "tail -n 20 /tmp/$name.out" | sed 's/^/    /' >&2
	fail "no line /$re/ in /tmp/$name.out on node $node after ${secs}s"
}

# spawn_migtest NODE NAME ARGS...: spawn migtest, print its pid once it runs.
spawn_migtest() {
	local node=$1 name=$2 line
	shift 2
	spawn "$node" "$name" migtest "$@" || return 1
	line=$(wait_line "$node" "$name" '^migtest: pid ' 60) || return 1
	echo "$line" | sed 's/^migtest: pid \([0-9]*\) .*/\1/'
}

# no_failures NODE NAME: the output has no FAIL line and ends well.
no_failures() {
	local out
	out=$(on "$1" "cat /tmp/$2.out") || return 1
	if echo "$out" | grep -q 'FAIL'; then
		echo "$out" | grep -E 'FAIL|^migtest' | head -n 20 | sed 's/^/    /' >&2
		fail "migtest $2 on node $1 reported failures"
		return 1
	fi
}

# guest_pid NODE HOME_NODE HOME_PID: the local pid of that process on NODE.
guest_pid() {
	on "$1" "awk '\$2 == $2 && \$3 == $3 { print \$1 }' /proc/hpc/remote"
}

# hops_in_order OUTPUT: the "hop N" lines come in order 1, 2, ... with none
# missing (stdout written from every node arrives in order at home).
hops_in_order() {
	echo "$1" | awk '
		/^hop [0-9]+ -> node/ { n = $2 + 0; if (n < last || n > last + 1) bad = 1; last = n }
		END { exit (bad || last == 0) }'
}

hop_list() {	# hop_list COUNT A B: A,B,A,B,... COUNT entries
	local i out=
	for i in $(seq 1 "$1"); do
		if [ $((i % 2)) = 1 ]; then out+="$2,"; else out+="$3,"; fi
	done
	echo "${out%,}"
}

mem_available() {	# mem_available NODE: MemAvailable in KiB
	on "$1" "awk '/^MemAvailable:/ { print \$2 }' /proc/meminfo"
}

# no_kernel_problem [REGEX]: no node's log shows a BUG, WARNING, oops,
# panic or call trace (or a line matching REGEX).
no_kernel_problem() {
	local i re="BUG:|WARNING:|Oops|Kernel panic|Call Trace|RIP:${1:+|$1}"
	for i in $(seq 1 "$NODES"); do
		if "$top/qemu/cluster" log "$i" | grep -E "$re"; then
			fail "node $i logged a kernel problem"
			return 1
		fi
	done
}

# stream_works FROM TO PORT: a checked 256 KiB stream from node FROM to TO.
stream_works() {
	spawn "$2" "sw_$3" ms_stream server "$3" 262144 || return 1
	wait_line "$2" "sw_$3" 'listening' 20 >/dev/null || return 1
	on "$1" "ms_stream client 10.77.0.$2 $3 262144" >/dev/null ||
		fail "stream node $1 -> node $2 " || return 1
	wait_line "$2" "sw_$3" '^exit 0' 30 >/dev/null
}

# expect_denied WHAT NODE FILE: an unprivileged user (runas, which checks
# the drop) writing FILE is refused for lack of privilege, not for anything
# else (runas failing, a missing file).
expect_denied() {
	local out
	out=$(on "$2" "runas 65534 65534 sh -c 'id -u; echo 1 > $3' 2>&1") &&
		{ fail "$1: the write succeeded"; return 1; }
	printf '%s\n' "$out" | head -n 1 | grep -qx 65534 ||
		{ fail "$1: not run as uid 65534: $out"; return 1; }
	printf '%s\n' "$out" | grep -qE 'Permission denied|Operation not permitted' ||
		fail "$1: refused for another reason: $out"
}

# cluster_key: the running cluster's key (64 hex digits, from qemu/cluster).
cluster_key() {
	cat "${CLUSTER_STATE:-$top/build/cluster}/key"
}

# put_key NODE PATH: write the cluster key to PATH on NODE (a file for the
# test programs that seal datagrams, or /proc/hpc/admin/key to install it).
put_key() {
	on "$1" "umask 077; printf %s $(cluster_key) > $2"
}

auth_stat() {	# auth_stat NODE NAME: a counter of /proc/hpc/auth
	on "$1" "awk '\$1 == \"$2\" { print \$2 }' /proc/hpc/auth"
}

ms_stat() {	# ms_stat NODE NAME: a counter of /proc/hpc/migsock/stats
	on "$1" "awk '\$1 == \"$2\" { print \$2 }' /proc/hpc/migsock/stats"
}

# ---- helpers of the torture scenarios ----

# set_faults DROP DUP REORDER (permille) on every node.
set_faults() {
	local n
	for n in $(seq 1 "$NODES"); do
		on "$n" "echo '$1 $2 $3' > /proc/hpc/migsock/fault" || return 1
	done
}

# random_mover HOME PID MOVES NAME: on node HOME, move PID MOVES times to
# random nodes (never the one it is on), with random pauses up to 0.3 s;
# /tmp/NAME.out on HOME gets "moves OK refused NO".
random_mover() {
	spawn "$1" "$4" "ok=0; no=0; i=0; cur=$1
		while [ \$i -lt $3 ]; do
			t=\$(( (RANDOM % $NODES) + 1 ))
			[ \$t = \$cur ] && continue
			usleep \$(( RANDOM * 9 ))
			dest=\$t; [ \$t = $1 ] && dest=home
			if migrate -t 30 $2 \$dest 2>>/tmp/$4.err; then ok=\$((ok + 1)); cur=\$t; else no=\$((no + 1)); fi
			i=\$((i + 1))
		done
		echo moves \$ok refused \$no"
}

# pid_of NODE NAME: the pid ms_stream NAME printed.
pid_of() {
	wait_line "$1" "$2" '^pid [0-9]+' 30 | awk '{ print $2 }'
}

# nodes_up: boot again any node an earlier test left dead.
nodes_up() {
	local i st
	st=$("$top/qemu/cluster" status)
	for i in $(seq 1 "$NODES"); do
		printf '%s\n' "$st" | grep -q "^node $i: running" ||
			"$top/qemu/cluster" start "$i" || return 1
	done
}

# nothing_left NODE [SECONDS]: within SECONDS (60), NODE holds no hpc link,
# migration state or proxy and no socket object.
nothing_left() {
	local i st live
	for i in $(seq 1 "${2:-60}"); do
		st=$(on "$1" "cat /proc/hpc/test/stats" | tr '\n' ' ')
		live=$(ms_stat "$1" sockets_live)
		[ "$st" = "links 0 tasks 0 proxies 0 " ] && [ "$live" = 0 ] && return 0
		sleep 1
	done
	fail "node $1 keeps: $st sockets $live"
}
