# migsock's receive daemon (issues 5 and 10, network path): only node-map
# senders, only datagrams whose tag proves the cluster key, each once, and
# only well-formed segments with a valid checksum are accepted; the rest is
# dropped and counted in /proc/hpc/migsock/stats, and nothing breaks.

stat_of() {	# stat_of NODE NAME
	on "$1" "awk '\$1 == \"$2\" { print \$2 }' /proc/hpc/migsock/stats"
}

KEYS="received not_a_node bad_header bad_checksum no_key bad_tag replayed accepted"

stats_before() {	# stats_before NODE
	local k
	for k in $KEYS; do
		eval "before_$k=\$(stat_of $1 $k)"
	done
}

stats_grew() {	# stats_grew NODE NAME:N...
	local node=$1 k before after
	shift
	for k in "$@"; do
		before=$(eval echo "\$before_${k%%:*}")
		after=$(stat_of "$node" "${k%%:*}")
		expect_eq "node $node: ${k%%:*} grew by" "$((after - before))" "${k#*:}" || return 1
	done
}

test_migsock_input_validates_datagrams() {
	need_nodes 2 || return 0
	local port
	port=$(stat_of 1 udp_port)
	[ -n "$port" ] || fail "no /proc/hpc/migsock/stats on node 1" || return 1
	put_key 1 /tmp/cluster.key || return 1
	stats_before 1
	# Sealed with the key, as node 1 sends to itself (the kernel never
	# does, so this sender's replay window is the test's own).
	on 1 "for k in good badsum badtag replay garbage short; do
		udpsend -k /tmp/cluster.key -s 1 -d 1 10.77.0.1 $port \$k || exit 1
	      done" || return 1
	# Without the key, from another node, by an unprivileged user: too
	# short to hold a trailer.
	on 2 "runas 65534 65534 udpsend 10.77.0.1 $port good" || return 1
	# From an address outside the node map (node 1's loopback).
	on 1 "udpsend 127.0.0.1 $port good" || return 1
	sleep 1
	stats_grew 1 received:9 not_a_node:1 bad_header:3 bad_checksum:1 no_key:0 \
		bad_tag:1 replayed:1 accepted:2 || return 1
	on 1 "rm -f /tmp/cluster.key"
	no_kernel_problem
}

# A node without the key neither sends nor takes datagrams; the calls that
# would need it fail with ENOKEY; with the key back, all works again.
test_migsock_node_without_key() {
	need_nodes 3 || return 0
	local r
	on 3 "echo none > /proc/hpc/admin/key" || return 1
	trap 'put_key 3 /proc/hpc/admin/key' RETURN
	expect_eq "key on node 3" "$(on 3 'mosctl key')" "none" || return 1
	stats_before 3
	r=$(on 3 "ms_stream client 10.77.0.1 7590 10 2>&1")
	echo "$r" | grep -q "Required key not available" ||
		fail "connect without a key: '$r', want ENOKEY" || return 1
	r=$(on 3 "sleep 20 & p=\$!; migrate \$p 1 2>&1; kill \$p")
	echo "$r" | grep -q "Required key not available" ||
		fail "goto without a key: '$r', want ENOKEY" || return 1
	# Datagrams from a keyed node reach no socket of a node without it.
	put_key 1 /tmp/cluster.key || return 1
	on 1 "udpsend -k /tmp/cluster.key -s 1 -d 3 10.77.0.3 19791 good; rm -f /tmp/cluster.key" || return 1
	sleep 1
	stats_grew 3 no_key:1 accepted:0 || return 1
	put_key 3 /proc/hpc/admin/key || return 1
	trap - RETURN
	stream_works 3 1 7591 || return 1
	on 3 "sleep 20 & p=\$!; migrate \$p 1 && migrate \$p home; r=\$?; kill \$p; exit \$r" >/dev/null ||
		fail "goto with the key back" || return 1
}
