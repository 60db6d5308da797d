# migsock sockets that follow their process (issue 5): client2/server2
# through the migration pattern of thesis table 5.1; both ends of a
# connection migrating at once, 50 times each, during a checked stream; a
# server moving before and after accepting, with later clients reaching it
# through its home node; a listener opened away from home; two processes
# of different home nodes on one port of one node; a move whose image
# transfer fails after the sockets went (they come back); one whose image
# takes longer than the 30 s the sockets ahead of it wait; bad metasocket
# messages; nothing left behind.
#
# One test by hand against a running cluster:
#   NODES=3 bash -c 'source tests/lib.sh; source tests/cluster/70-migsock-migration.sh; test_migsock_mig_both_ends_50_times'

# stream_pid NODE NAME: the pid ms_stream NAME printed (its home pid).
stream_pid() {
	wait_line "$1" "$2" '^pid [0-9]+' 20 | awk '{ print $2 }'
}

# redirect_on NODE PORT [KIND]: NODE redirects PORT (KIND REDIRECT: the
# home node's; FORWARD: a node the listener left); prints where to.
redirect_on() {
	on "$1" "awk '\$2 == \"${3:-REDIRECT}\" && \$3 == $2 { print \$6 }' /proc/hpc/migsock/sockets"
}

# wait_redirect NODE PORT WANT: the redirect of PORT on NODE becomes WANT
# ("" for none) within 10 s (OPENLISTEN and CLOSELISTEN are queued).
wait_redirect() {
	local i got
	for i in $(seq 1 40); do
		got=$(redirect_on "$1" "$2")
		[ "$got" = "$3" ] && return 0
		sleep 0.25
	done
	on "$1" cat /proc/hpc/migsock/sockets | sed 's/^/    /' >&2
	fail "node $1: redirect of port $2 is '$got', want '$3'"
}

test_migsock_mig_client2_server2_table_5_1() {
	need_nodes 3 || return 0
	local size out nodes want
	# Client nodes per transmission: 2,1,2,3,3, three transmissions each.
	want="2 2 2 1 1 1 2 2 2 3 3 3 3 3 3"
	for size in 1024 102400 1048576; do
		on 2 "head -c $size /dev/urandom > /tmp/t51.$size" || return 1
		spawn 1 "s2_$size" server2 3 1,1,2,2,3 || return 1
		wait_line 1 "s2_$size" 'listening' 20 >/dev/null || return 1
		out=$(on 2 "client2 10.77.0.1 /tmp/t51.$size 3 2,1,2,3,3") ||
			{ echo "$out" | tail -n 5 >&2; fail "client2, $size bytes"; return 1; }
		nodes=$(echo "$out" | awk '$1 == "xfer" && $3 == '"$size"' { printf "%s%s", s, $2; s = " " }')
		expect_eq "client2 nodes and sizes, $size bytes" "$nodes" "$want" || return 1
		wait_line 1 "s2_$size" '^exit 0' 30 >/dev/null || return 1
		if on 1 "grep FAIL /tmp/s2_$size.out" >&2; then
			fail "server2 failed, $size bytes"
			return 1
		fi
	done
	[ "$(ms_stat 3 migrations_in)" -gt 0 ] || fail "node 3 took no process in"
}

# move_loop NODE PID A B COUNT: migrate PID (home NODE) to A, B, A, ...
# COUNT times; prints "moves N refused M".  A move hpc refuses (say, a
# connect to the target broken off) is tried again, up to three times,
# and the extra tries go to /tmp/move_loop.err; a refusal loses nothing.
move_loop() {
	on "$1" "ok=0; no=0; i=0; rm -f /tmp/move_loop.err
		while [ \$i -lt $5 ]; do
			if [ \$((i % 2)) = 0 ]; then t=$3; else t=$4; fi
			n=0
			until migrate -t 30 $2 \$t 2>>/tmp/move_loop.err; do
				n=\$((n + 1))
				[ \$n -ge 3 ] && break
			done
			if [ \$n -lt 3 ]; then ok=\$((ok + 1)); else no=\$((no + 1)); fi
			i=\$((i + 1))
		done
		echo moves \$ok refused \$no"
}

test_migsock_mig_both_ends_50_times() {
	need_nodes 3 || return 0
	local spid cpid sl cl sent got before
	before=$(( $(ms_stat 1 migrations_in) + $(ms_stat 2 migrations_in) + $(ms_stat 3 migrations_in) ))
	spawn 1 both_s ms_stream sink 7200 1 || return 1
	wait_line 1 both_s 'listening' 20 >/dev/null || return 1
	spid=$(stream_pid 1 both_s) || return 1
	spawn 2 both_c ms_stream source 10.77.0.1 7200 || return 1
	cpid=$(stream_pid 2 both_c) || return 1
	wait_line 2 both_c '^connected' 20 >/dev/null || return 1
	# Server 1 -> 3 -> 1 ..., client 2 -> 1 -> 2 ...: both at once, so the
	# peers meet on every combination of nodes, the same node included.
	move_loop 1 "$spid" 3 home 50 > /tmp/migsock_both_s.$$ &
	move_loop 2 "$cpid" 1 home 50 > /tmp/migsock_both_c.$$ &
	wait
	sl=$(cat /tmp/migsock_both_s.$$)
	cl=$(cat /tmp/migsock_both_c.$$)
	rm -f /tmp/migsock_both_[sc].$$
	on 2 "kill -USR1 $cpid"
	sent=$(wait_line 2 both_c '^ok sent|FAIL' 60) || return 1
	got=$(wait_line 1 both_s '^ok received|FAIL' 30) || return 1
	if [ "$sl" != "moves 50 refused 0" ] || [ "$cl" != "moves 50 refused 0" ]; then
		on 1 "cat /tmp/move_loop.err" | sort | uniq -c | head -n 5 | sed 's/^/    server: /' >&2
		on 2 "cat /tmp/move_loop.err" | sort | uniq -c | head -n 5 | sed 's/^/    client: /' >&2
	fi
	expect_eq "server moves" "$sl" "moves 50 refused 0" || return 1
	expect_eq "client moves" "$cl" "moves 50 refused 0" || return 1
	expect_eq "bytes received" "${got#ok received }" "${sent#ok sent }" || return 1
	[ "${sent#ok sent }" -gt 0 ] || fail "nothing was sent" || return 1
	wait_line 1 both_s '^exit 0' 20 >/dev/null || return 1
	wait_line 2 both_c '^exit 0' 20 >/dev/null || return 1
	local after=$(( $(ms_stat 1 migrations_in) + $(ms_stat 2 migrations_in) + $(ms_stat 3 migrations_in) ))
	[ $((after - before)) -ge 100 ] || fail "only $((after - before)) socket arrivals for 100 moves"
}

test_migsock_mig_server_before_and_after_accept() {
	need_nodes 3 || return 0
	local spid apid out
	spawn 1 ba_s ms_stream sink 7300 3 || return 1
	wait_line 1 ba_s 'listening' 20 >/dev/null || return 1
	spid=$(stream_pid 1 ba_s) || return 1
	# Before accepting: the listener goes to node 3, its home redirects.
	on 1 "migrate $spid 3" || fail "migrate the server to 3" || return 1
	expect_eq "redirect at home" "$(redirect_on 1 7300)" 3 || return 1
	out=$(on 2 "ms_stream source 10.77.0.1 7300 300000" | tail -n 1)
	expect_eq "client through home to node 3" "$out" "ok sent 300000" || return 1
	wait_line 1 ba_s '^ok received 300000' 20 >/dev/null || return 1
	# After accepting: a connection is open while the server moves on.
	spawn 2 ba_a ms_stream source 10.77.0.1 7300 || return 1
	apid=$(stream_pid 2 ba_a) || return 1
	wait_line 2 ba_a '^connected' 20 >/dev/null || return 1
	on 1 "migrate $spid 2" || fail "migrate the server to 2" || return 1
	expect_eq "redirect at home" "$(redirect_on 1 7300)" 2 || return 1
	# Node 3 (left for home on the way to 2) forwards SYNs for 30 s.
	expect_eq "forward on node 3" "$(redirect_on 3 7300 FORWARD)" 1 || return 1
	# A client started later reaches node 2 through node 1, and waits
	# in the listener's queue until the first connection ends.
	spawn 3 ba_b ms_stream source 10.77.0.1 7300 200000 || return 1
	wait_line 3 ba_b '^connected' 20 >/dev/null || return 1
	on 2 "kill -USR1 $apid"
	wait_line 2 ba_a '^exit 0' 60 >/dev/null || return 1
	wait_line 3 ba_b '^exit 0' 60 >/dev/null || return 1
	wait_line 1 ba_s '^exit 0' 30 >/dev/null || return 1
	expect_eq "connections served" "$(on 1 "grep -c '^ok received' /tmp/ba_s.out")" 3 || return 1
	on 1 "grep -q '^ok received 200000' /tmp/ba_s.out" || fail "the later client's bytes" || return 1
	[ "$(ms_stat 1 redirects)" -gt 0 ] || fail "node 1 redirected nothing"
	wait_redirect 1 7300 ""
}

test_migsock_mig_listener_opened_away_from_home() {
	need_nodes 3 || return 0
	local out
	# The server goes to node 3 first, then listens: OPENLISTEN to node 1.
	spawn 1 away ms_stream sink 7400 1 3 || return 1
	wait_line 1 away 'listening' 20 >/dev/null || return 1
	wait_redirect 1 7400 3 || return 1
	out=$(on 2 "ms_stream source 10.77.0.1 7400 100000" | tail -n 1)
	expect_eq "client through home" "$out" "ok sent 100000" || return 1
	wait_line 1 away '^exit 0' 20 >/dev/null || return 1
	# CLOSELISTEN (and the exit) take the redirect away.
	wait_redirect 1 7400 ""
}

test_migsock_mig_same_port_two_homes_one_node() {
	need_nodes 3 || return 0
	local n
	spawn 1 sp1 ms_stream sink 7500 1 3 || return 1
	spawn 2 sp2 ms_stream sink 7500 1 3 || return 1
	wait_line 1 sp1 'listening' 20 >/dev/null || return 1
	wait_line 2 sp2 'listening' 20 >/dev/null || return 1
	n=$(on 3 "awk '\$2 == \"LISTEN\" && \$3 == 7500 { print \$5 }' /proc/hpc/migsock/sockets | sort | tr '\n' ' '")
	expect_eq "listeners on node 3 (home nodes)" "$n" "1 2 " || return 1
	wait_redirect 1 7500 3 || return 1
	wait_redirect 2 7500 3 || return 1
	spawn 3 sp_c1 ms_stream source 10.77.0.1 7500 111111 || return 1
	spawn 1 sp_c2 ms_stream source 10.77.0.2 7500 222222 || return 1
	wait_line 3 sp_c1 '^exit 0' 60 >/dev/null || return 1
	wait_line 1 sp_c2 '^exit 0' 60 >/dev/null || return 1
	wait_line 1 sp1 '^ok received 111111' 20 >/dev/null || return 1
	wait_line 2 sp2 '^ok received 222222' 20 >/dev/null || return 1
	wait_line 1 sp1 '^exit 0' 20 >/dev/null || return 1
	wait_line 2 sp2 '^exit 0' 20 >/dev/null
}

test_migsock_mig_locked_while_connecting() {
	need_nodes 3 || return 0
	local pid busy out sent
	spawn 3 lk_s ms_stream sink 7700 1 || return 1
	wait_line 3 lk_s 'listening' 20 >/dev/null || return 1
	# Node 3 drops every segment: the client stays in SYN_SENT.
	on 3 'echo "1000 0 0" > /proc/hpc/migsock/fault' || return 1
	busy=$(ms_stat 1 migrations_out_busy)
	spawn 1 lk_c ms_stream source 10.77.0.3 7700 || return 1
	pid=$(stream_pid 1 lk_c) || { on 3 'echo "0 0 0" > /proc/hpc/migsock/fault'; return 1; }
	sleep 0.5
	out=$(on 1 "migrate -t 15 $pid 2" 2>&1)
	local rc=$?
	on 3 'echo "0 0 0" > /proc/hpc/migsock/fault'
	[ $rc != 0 ] || { fail "a connecting process migrated"; return 1; }
	expect_eq "refusals for a half-open socket" "$(ms_stat 1 migrations_out_busy)" $((busy + 1)) || return 1
	# The broken-off connect goes on by itself and completes; then the
	# process may move, and its stream arrives whole.
	wait_line 1 lk_c '^connected' 60 >/dev/null || return 1
	on 1 "migrate $pid 2" || fail "migrate once connected" || return 1
	on 1 "kill -USR1 $pid"
	sent=$(wait_line 1 lk_c '^ok sent|FAIL' 60) || return 1
	wait_line 3 lk_s "^ok received ${sent#ok sent }\$" 20 >/dev/null || return 1
	wait_line 3 lk_s '^exit 0' 20 >/dev/null
}

test_migsock_mig_failed_transfer_gives_sockets_back() {
	need_nodes 3 || return 0
	local spid cpid sent back given
	# configs/ always build CONFIG_HPC_TEST_HOOKS: its absence is a failure.
	on 1 "test -w /proc/hpc/test/fail_image" || fail "no /proc/hpc/test/fail_image" || return 1
	spawn 1 fb_s ms_stream sink 7960 1 || return 1
	wait_line 1 fb_s 'listening' 20 >/dev/null || return 1
	spid=$(stream_pid 1 fb_s) || return 1
	spawn 2 fb_c ms_stream source 10.77.0.1 7960 || return 1
	cpid=$(stream_pid 2 fb_c) || return 1
	wait_line 2 fb_c '^connected' 20 >/dev/null || return 1
	back=$(ms_stat 1 socks_taken_back)
	given=$(ms_stat 3 socks_given_back)
	# The sockets are copied to node 3, then the image transfer fails:
	# the process stays on node 1, its sockets (frozen meanwhile) thaw, and
	# node 3 drops its dormant copies (MIGBACK).
	on 1 'echo 1 > /proc/hpc/test/fail_image' || return 1
	if on 1 "migrate -t 20 $spid 3" 2>/dev/null; then
		fail "a move whose image transfer failed succeeded"
		return 1
	fi
	expect_eq "sockets taken back on node 1" "$(ms_stat 1 socks_taken_back)" $((back + 1)) || return 1
	expect_eq "dormant copies dropped by node 3" "$(ms_stat 3 socks_given_back)" $((given + 1)) || return 1
	# The stream goes on whole, through a real move afterwards.
	sleep 1
	on 1 "migrate $spid 3" || fail "migrate after the failed move" || return 1
	on 2 "kill -USR1 $cpid"
	sent=$(wait_line 2 fb_c '^ok sent|FAIL' 60) || return 1
	wait_line 1 fb_s "^ok received ${sent#ok sent }\$" 30 >/dev/null || return 1
	wait_line 1 fb_s '^exit 0' 20 >/dev/null
}

test_migsock_mig_slow_image_keeps_sockets() {
	need_nodes 3 || return 0
	local cpid sent unclaimed start
	# A 64 MiB source whose image takes longer to reach node 3 (14 Mbit/s,
	# about 40 s) than the 30 s the sockets that went ahead of it wait for
	# an image that never comes: they must be there when the process is.
	spawn 1 si_s ms_stream sink 7970 1 || return 1
	wait_line 1 si_s listening 30 >/dev/null || return 1
	spawn 2 si_c ms_stream source 10.77.0.1 7970 -1 64 || return 1
	wait_line 2 si_c '^connected' 60 >/dev/null || return 1
	cpid=$(stream_pid 2 si_c) || return 1
	unclaimed=$(ms_stat 3 arrivals_unclaimed)
	"$top/qemu/cluster" shape 3 14mbit || return 1
	trap '"$top/qemu/cluster" shape 3 off' RETURN
	start=$SECONDS
	on 2 "migrate -t 150 $cpid 3" || fail "the slow move failed" || return 1
	"$top/qemu/cluster" shape 3 off
	echo "    the move took $((SECONDS - start)) s"
	[ $((SECONDS - start)) -gt 32 ] || fail "the image came too fast to test the wait" || return 1
	expect_eq "sockets dropped on node 3" "$(ms_stat 3 arrivals_unclaimed)" "$unclaimed" || return 1
	on 2 "kill -USR1 $cpid"
	sent=$(wait_line 2 si_c '^ok sent|FAIL' 120) || return 1
	wait_line 1 si_s "^ok received ${sent#ok sent }\$" 60 >/dev/null || return 1
	echo "    ${sent#ok sent } bytes checked"
	wait_line 1 si_s '^exit 0' 20 >/dev/null
}

# meta NODE HEX: send HEX as one metasocket message from node 1 to NODE's
# migd; prints the answer ("ok" or the error text).
meta() {
	on 1 "echo '$1 $2' > /proc/hpc/migsock/metasock 2>/tmp/meta.err && echo ok || sed 's/.*error: //' /tmp/meta.err"
}

test_migsock_mig_bad_metasock_messages() {
	need_nodes 2 || return 0
	local bad before
	bad=$(ms_stat 2 metasock_bad)
	# Header: "MS", version 2, type, total length; then the body.
	expect_eq "bad magic" "$(meta 2 000001020000001800000000000000000000000000000000)" "Protocol error" || return 1
	expect_eq "bad version" "$(meta 2 4d530902000000180000000000000000000000000000000000)" "Protocol error" || return 1
	expect_eq "unknown type" "$(meta 2 4d530209000000180000000000000000000000000000000000)" "Protocol error" || return 1
	expect_eq "length beyond the limit" "$(meta 2 4d5302017fffffff)" "Protocol error" || return 1
	expect_eq "body shorter than its length" "$(meta 2 4d530202000000180000)" "Connection reset by peer" || return 1
	expect_eq "MIGTOYOU counting a record it lacks" "$(meta 2 4d53020100000014000100010002000100001092)" "Protocol error" || return 1
	expect_eq "MIGTOYOU without sockets" "$(meta 2 4d53020100000014000100010002000000001092)" "Invalid argument" || return 1
	expect_eq "MIGACKED for no old copy" "$(meta 2 4d5302020000001c1f401f4100010002000000050000000100010000)" "No such file or directory" || return 1
	expect_eq "OPENLISTEN naming another node" "$(meta 2 4d530204000000181e780002000010920000000100030000)" "Invalid argument" || return 1
	expect_eq "OPENLISTEN to a node not home" "$(meta 2 4d530204000000181e780003000010920000000100010000)" "Invalid argument" || return 1
	expect_eq "odd hex" "$(meta 2 4d5302040000001)" "Invalid argument" || return 1
	expect_eq "no such node" "$(meta 9 4d530205000000181e780002000010920000000100010000)" "No route to host" || return 1
	[ "$(ms_stat 2 metasock_bad)" -ge $((bad + 8)) ] || fail "node 2 counted too few bad messages" || return 1
	# Well-formed ones still work: OPENLISTEN makes a redirect to node 1,
	# CLOSELISTEN takes it away, twice is an error.
	expect_eq "OPENLISTEN" "$(meta 2 4d530204000000181e780002000010920000000100010000)" ok || return 1
	expect_eq "redirect after OPENLISTEN" "$(redirect_on 2 7800)" 1 || return 1
	expect_eq "CLOSELISTEN" "$(meta 2 4d530205000000181e780002000010920000000100010000)" ok || return 1
	expect_eq "redirect after CLOSELISTEN" "$(redirect_on 2 7800)" "" || return 1
	expect_eq "CLOSELISTEN again" "$(meta 2 4d530205000000181e780002000010920000000100010000)" "No such file or directory"
}

# stale_migacked_refused CPID: move the source CPID (home 2, its peer's
# node 3 silenced) to node 1, and from there send node 2 a MIGACKED naming
# epoch 9: it is refused and the old copy stays.  Prints its port.
stale_migacked_refused() {
	local moved lport hex
	on 2 "migrate $1 1" || fail "migrate the source to node 1" || return 1
	moved=$(on 2 "awk '\$2 == \"MOVED\" && \$4 == 7971 && \$6 == 1 { print \$3 }' /proc/hpc/migsock/sockets")
	lport=${moved%%$'\n'*}
	[ -n "$lport" ] || fail "no old copy on node 2" || return 1
	hex=$(printf '4d5302020000001c%04x1f2300020003%08x000000000009''0000' "$lport" "$1")
	expect_eq "MIGACKED of another move" "$(meta 2 "$hex")" "No such file or directory" || return 1
	on 2 "grep -q '^0 MOVED $lport 7971 2 1 3 ' /proc/hpc/migsock/sockets" ||
		fail "the old copy went" || return 1
	echo "$lport"
}

# A MIGACKED for an older move of a socket must not drop the old copy of
# its latest move (found by the torture suite: MIGACKEDs are queued and
# resent, so one can come after the socket came back and left again).
test_migsock_mig_late_migacked_keeps_old_copy() {
	need_nodes 3 || return 0
	local cpid lport sent i rc=0
	spawn 3 la_s ms_stream sink 7971 1 || return 1
	wait_line 3 la_s listening 20 >/dev/null || return 1
	spawn 2 la_c ms_stream source 10.77.0.3 7971 || return 1
	cpid=$(stream_pid 2 la_c) || return 1
	wait_line 2 la_c '^connected' 20 >/dev/null || return 1
	# Node 3 hears nothing meanwhile: the peer cannot acknowledge the
	# move, so node 2 keeps the old copy (MOVED, to node 1, epoch 1).
	on 3 "echo '1000 0 0' > /proc/hpc/migsock/fault" || return 1
	lport=$(stale_migacked_refused "$cpid") || rc=1
	on 3 "echo '0 0 0' > /proc/hpc/migsock/fault" || return 1
	[ $rc = 0 ] || return 1
	# The peer hears the new copy, the real MIGACKED (epoch 1) drops the
	# old one, and the stream is whole.
	for i in $(seq 60); do
		on 2 "grep -q '^0 MOVED $lport 7971 ' /proc/hpc/migsock/sockets" || break
		sleep 0.5
	done
	on 2 "! grep -q '^0 MOVED $lport 7971 ' /proc/hpc/migsock/sockets" ||
		fail "the old copy stayed after the real MIGACKED" || return 1
	on 2 "kill -USR1 $cpid"
	sent=$(wait_line 2 la_c '^ok sent|FAIL' 60) || return 1
	wait_line 3 la_s "^ok received ${sent#ok sent }\$" 30 >/dev/null || return 1
	wait_line 3 la_s '^exit 0' 20 >/dev/null
}

test_migsock_mig_zz_nothing_left() {
	local n left i
	sleep 3	# TIME_WAIT is 2 s
	for n in $(seq 1 "$NODES"); do
		# Forwarding listeners go after 30 s.
		for i in $(seq 1 40); do
			left=$(on "$n" "grep -cE '^0 (MOVED|REDIRECT|FORWARD) ' /proc/hpc/migsock/sockets")
			[ "$left" = 0 ] && break
			sleep 1
		done
		expect_eq "node $n: old copies, redirects and forwards left" "$left" 0 || return 1
		expect_eq "node $n: socket objects alive" "$(ms_stat "$n" sockets_live)" 0 || return 1
	done
	no_kernel_problem
}
