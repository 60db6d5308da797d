# migsock's receive daemon (issue 5, network path): only node-map senders
# and well-formed segments with a valid checksum are accepted; the rest is
# dropped and counted in /proc/hpc/migsock/stats, and nothing breaks.

stat_of() {	# stat_of NODE NAME
	on "$1" "awk '\$1 == \"$2\" { print \$2 }' /proc/hpc/migsock/stats"
}

test_migsock_input_validates_datagrams() {
	need_nodes 2 || return 0
	local k before after port
	port=$(stat_of 1 udp_port)
	[ -n "$port" ] || fail "no /proc/hpc/migsock/stats on node 1" || return 1
	for k in received not_a_node bad_header bad_checksum accepted; do
		eval "before_$k=\$(stat_of 1 $k)"
	done
	on 2 "udpsend 10.77.0.1 $port good && udpsend 10.77.0.1 $port badsum &&
	      udpsend 10.77.0.1 $port garbage && udpsend 10.77.0.1 $port short" || return 1
	# From an address outside the node map (node 1's loopback).
	on 1 "udpsend 127.0.0.1 $port good" || return 1
	sleep 1
	for k in received:5 not_a_node:1 bad_header:2 bad_checksum:1 accepted:1; do
		before=$(eval echo "\$before_${k%%:*}")
		after=$(stat_of 1 "${k%%:*}")
		expect_eq "${k%%:*} grew by" "$((after - before))" "${k#*:}" || return 1
	done
	no_kernel_problem
}
