# migsock sockets (issue 5) without migration: the calls of appendix A on
# one node, client1/server1 on one and across two nodes, a 10 MB stream
# across nodes through loss, duplication and reordering, processes exiting
# with open sockets, a peer node killed, forged segments, and no sockets
# leaked.

text_file() {	# text_file NODE: /tmp/text.txt, 2000 numbered lines
	on "$1" 'seq 1 2000 | sed "s/^/line number /; s/$/ of the migsock echo test/" > /tmp/text.txt'
}

test_migsock_api_on_one_node() {
	local out
	out=$(on 1 ms_api 2>&1)
	local rc=$?
	if [ $rc != 0 ] || echo "$out" | grep -q FAIL; then
		echo "$out" | grep -A1 FAIL | sed 's/^/    /' >&2
		fail "ms_api failed (exit $rc)"
		return 1
	fi
	[ "$(echo "$out" | grep -c '^ok:')" -ge 80 ] || fail "ms_api ran too few checks"
}

# client1_server1 SERVER_NODE CLIENT_NODE ADDR PORT: the client's text file
# comes back line by line, and the server echoed all of it and ended well.
client1_server1() {
	local sn=$1 cn=$2 addr=$3 port=$4 out bytes
	text_file "$cn" || return 1
	bytes=$(on "$cn" 'wc -c < /tmp/text.txt')
	spawn "$sn" "s1_$port" server1 "$port" || return 1
	wait_line "$sn" "s1_$port" 'listening' 20 >/dev/null || return 1
	out=$(on "$cn" "client1 $addr $port /tmp/text.txt") || { echo "$out" >&2; fail "client1"; return 1; }
	expect_eq "client1" "$out" "client1: ok 2000 lines" || return 1
	wait_line "$sn" "s1_$port" '^exit 0' 20 >/dev/null || return 1
	wait_line "$sn" "s1_$port" "echoed $bytes bytes" 5 >/dev/null
}

test_migsock_client1_server1_one_node() {
	client1_server1 1 1 127.0.0.1 7000
}

test_migsock_client1_server1_two_nodes() {
	need_nodes 2 || return 0
	client1_server1 1 2 10.77.0.1 7001
}

test_migsock_10mb_stream_with_loss_dup_reorder() {
	need_nodes 2 || return 0
	local n d
	for n in 1 2; do on $n 'echo "30 30 30" > /proc/hpc/migsock/fault' || return 1; done
	d=$(ms_stat 1 fault_dropped)
	spawn 1 st ms_stream server 7100 10000000 || return 1
	wait_line 1 st 'listening' 20 >/dev/null || return 1
	on 2 "ms_stream client 10.77.0.1 7100 10000000" >/dev/null
	local rc=$?
	for n in 1 2; do on $n 'echo "0 0 0" > /proc/hpc/migsock/fault'; done
	[ $rc = 0 ] || fail "client failed" || return 1
	wait_line 1 st '^ok received 10000000' 60 >/dev/null || return 1
	[ "$(ms_stat 1 fault_dropped)" -gt "$d" ] || fail "the fault knob dropped nothing"
}

test_migsock_fault_knob_rejects_bad_input() {
	expect_fails "fault 1001" 1 'echo "1001 0 0" > /proc/hpc/migsock/fault' || return 1
	expect_fails "fault text" 1 'echo "a b c" > /proc/hpc/migsock/fault' || return 1
	expect_fails "fault two values" 1 'echo "1 2" > /proc/hpc/migsock/fault' || return 1
	expect_fails "fault negative" 1 'echo "-1 0 0" > /proc/hpc/migsock/fault'
}

test_migsock_exit_with_open_sockets() {
	need_nodes 2 || return 0
	spawn 1 ex1 ms_stream server 7300 1000000000 || return 1
	wait_line 1 ex1 'listening' 20 >/dev/null || return 1
	spawn 2 ex2 ms_stream hold 10.77.0.1 7300 || return 1
	wait_line 2 ex2 '^connected' 20 >/dev/null || return 1
	# The holder is killed: its socket closes, the server reads the end.
	on 2 'kill -9 $(pidof ms_stream)' || return 1
	wait_line 1 ex1 'FAIL recv at 0: 0' 20 >/dev/null || return 1
	wait_line 1 ex1 '^exit 1' 20 >/dev/null
}

test_migsock_peer_node_killed() {
	need_nodes 3 || return 0
	spawn 3 pk3 ms_stream server 7400 1000000000 || return 1
	wait_line 3 pk3 'listening' 20 >/dev/null || return 1
	spawn 2 pk2 ms_stream client 10.77.0.3 7400 1000000000 || return 1
	sleep 2
	"$top/qemu/cluster" kill 3 || return 1
	# The sender's retransmissions go unanswered: it gives up (ETIMEDOUT)
	# and its socket is reclaimed.
	wait_line 2 pk2 'FAIL send' 150 >/dev/null || return 1
	wait_line 2 pk2 '^exit 1' 10 >/dev/null || return 1
	"$top/qemu/cluster" start 3
}

test_migsock_forged_segments_from_node_and_outsider() {
	need_nodes 2 || return 0
	spawn 1 fg ms_stream server 7500 100000 || return 1
	wait_line 1 fg 'listening' 20 >/dev/null || return 1
	on 2 "runas 65534 65534 udpsend 10.77.0.1 19791 good && udpsend 10.77.0.1 19791 badsum &&
	      udpsend 10.77.0.1 19791 garbage && udpsend 10.77.0.1 19791 short" || return 1
	on 1 "udpsend 127.0.0.1 19791 good" || return 1
	on 2 "ms_stream client 10.77.0.1 7500 100000" >/dev/null || fail "client after forged" || return 1
	wait_line 1 fg '^ok received 100000$' 20 >/dev/null
}

test_migsock_zz_no_leaked_sockets() {
	local n live
	sleep 3	# TIME_WAIT is 2 s
	for n in $(seq 1 "$NODES"); do
		live=$(ms_stat "$n" sockets_live)
		if [ "$live" != 0 ]; then
			on "$n" cat /proc/hpc/migsock/sockets | sed 's/^/    /' >&2
			fail "node $n: $live socket objects alive"
			return 1
		fi
	done
	no_kernel_problem
}
