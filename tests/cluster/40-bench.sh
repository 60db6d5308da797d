# The benchmark programs (thesis appendix C, ordinary sockets) through the
# migration pattern of table 5.1, as make bench runs them, on a small file.

# bench_pattern SUFFIX: client2SUFFIX/server2SUFFIX through table 5.1.
bench_pattern() {
	local sfx=$1 res srv
	on 2 "head -c 20000 /dev/urandom > /tmp/b2.dat" || return 1
	on 1 "rm -f /tmp/b2srv.out; server2$sfx 3 1,1,2,2,3 > /tmp/b2srv.out 2>&1 &" || return 1
	wait_line 1 b2srv '^server2: listening' 30 >/dev/null || return 1
	res=$(on 2 "client2$sfx 10.77.0.1 /tmp/b2.dat 3 2,1,2,3,3") ||
		{ echo "$res" >&2; fail "client2$sfx"; return 1; }
	expect_eq "transmissions" "$(echo "$res" | grep -c '^xfer [0-9]* 20000 [0-9]*$')" 15 || return 1
	# The client's node at each transmission follows table 5.1.
	expect_eq "client nodes" "$(echo "$res" | awk '{print $2}' | uniq | tr '\n' ,)" "2,1,2,3," ||
		return 1
	for _ in $(seq 1 50); do
		on 1 "pidof server2$sfx >/dev/null" || break
		sleep 0.2
	done
	srv=$(on 1 "cat /tmp/b2srv.out")
	echo "$srv" | grep -q FAIL && { echo "$srv" >&2; fail "server2$sfx failed"; return 1; }
	on 1 "pidof server2$sfx >/dev/null" && fail "server2$sfx did not end"
	return 0
}

test_bench_client2_std_server2_std_table_5_1() {
	need_nodes 3 || return 0
	bench_pattern _std
}

# The same programs with their sockets opened as IPPROTO_MTCP.
test_bench_client2_mtcp_server2_mtcp_table_5_1() {
	need_nodes 3 || return 0
	bench_pattern _mtcp
}
