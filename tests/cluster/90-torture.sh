# Torture: every byte of every stream checked while things go wrong.  Short
# here (make check); 'make torture' (tests/torture) runs the same tests long
# and adds an 8-node cluster.  Sizes come from the environment:
#   TORTURE_MOVES  migrations in the fault test (default 80; torture: 1000)
#   TORTURE_HOLD   seconds the limits test keeps windows shut (default 20)
#   TORTURE_CONNS  connections in one process there (default 256)
#
# - migrations of both ends of two live streams, random targets and times,
#   with the fault knob at 5 % loss, 1 % duplication, 2 % reordering;
# - a node killed while a process's image is sent to it (the process stays
#   with its sockets and every byte; the MIGBACK to the dead node gives up),
#   while the MIGTOYOU that carries its sockets waits for it (the same),
#   while an image comes from it (the target cleans up), and in the middle
#   of a stream (the peer gets ETIMEDOUT, other streams are whole); the
#   node boots again and takes migrations and streams;
# - 256 connections in one process with shut windows and full queues for a
#   while, then drained: counters back to zero.
#
# One by hand: NODES=3 bash -c 'source tests/lib.sh; source tests/cluster/90-torture.sh; test_torture_moves_under_faults'

test_torture_moves_under_faults() {
	need_nodes 3 || return 0
	local moves=${TORTURE_MOVES:-80} per sa sb ca cb total=0 refused=0 rc=0 n m line
	per=$((moves / 4))
	set_faults 50 10 20 || return 1
	# Pair A: sink home 1, source home 2.  Pair B: sink home 3, source home 1.
	spawn 1 ta_s ms_stream sink 7300 1 && spawn 3 tb_s ms_stream sink 7301 1 || rc=1
	[ $rc = 0 ] && wait_line 1 ta_s listening 30 >/dev/null && wait_line 3 tb_s listening 30 >/dev/null || rc=1
	[ $rc = 0 ] && spawn 2 ta_c ms_stream source 10.77.0.1 7300 && spawn 1 tb_c ms_stream source 10.77.0.3 7301 || rc=1
	[ $rc = 0 ] && wait_line 2 ta_c '^connected' 60 >/dev/null && wait_line 1 tb_c '^connected' 60 >/dev/null || rc=1
	if [ $rc = 0 ]; then
		sa=$(pid_of 1 ta_s) && sb=$(pid_of 3 tb_s) && ca=$(pid_of 2 ta_c) && cb=$(pid_of 1 tb_c) || rc=1
	fi
	if [ $rc = 0 ]; then
		random_mover 1 "$sa" "$per" mv_sa && random_mover 3 "$sb" "$per" mv_sb &&
			random_mover 2 "$ca" "$per" mv_ca && random_mover 1 "$cb" "$per" mv_cb || rc=1
	fi
	for m in 1:mv_sa 3:mv_sb 2:mv_ca 1:mv_cb; do
		[ $rc = 0 ] || break
		line=$(wait_line "${m%%:*}" "${m#*:}" '^moves ' $((per * 10 + 120))) || { rc=1; break; }
		n=$(echo "$line" | awk '{ print $2 }')
		total=$((total + n))
		refused=$((refused + $(echo "$line" | awk '{ print $4 }')))
	done
	set_faults 0 0 0
	[ $rc = 0 ] || return 1
	echo "    $total moves done, $refused refused (5% loss, 1% dup, 2% reorder)"
	on 1 "sort /tmp/mv_sa.err /tmp/mv_cb.err 2>/dev/null | uniq -c | head -n 5" | sed 's/^/    refusals: /'
	[ "$total" -ge $((moves * 8 / 10)) ] || fail "only $total of $moves moves done" || return 1
	for p in "2 $ca ta_c 1 ta_s" "1 $cb tb_c 3 tb_s"; do
		set -- $p
		if ! on "$1" "kill -USR1 $2"; then
			# The process is gone: say how it ended, and what moved it.
			on "$1" "tail -n 5 /tmp/$3.out; sort /tmp/mv_*.err 2>/dev/null | uniq -c | tail -n 5" |
				sed 's/^/    node '"$1"': /' >&2
			"$top/qemu/cluster" log "$1" | grep -E 'hpc|migsock' | tail -n 10 | sed 's/^/    console: /' >&2
			fail "$3 (pid $2) ended before the moves did"
			return 1
		fi
		sent=$(wait_line "$1" "$3" '^ok sent|FAIL' 120) || return 1
		got=$(wait_line "$4" "$5" '^ok received|FAIL' 120) || return 1
		expect_eq "bytes of $3" "${got#ok received }" "${sent#ok sent }" || return 1
		echo "    $3: ${sent#ok sent } bytes checked"
		wait_line "$1" "$3" '^exit 0' 30 >/dev/null && wait_line "$4" "$5" '^exit 0' 30 >/dev/null || return 1
	done
	no_kernel_problem
}

stays_on() {	# stays_on NODE PID: the process runs on its home NODE
	on "$1" "[ \"\$(cat /proc/$2/where)\" = 0 ]"
}

test_torture_target_dies_during_image() {
	need_nodes 3 || return 0
	nodes_up || return 1
	local cpid sent got rc=0 i before back_failed
	# A stream from node 2 to node 1; its source (64 MiB) moves to node 3,
	# which is killed while the image is on its way.
	spawn 1 kd_s ms_stream sink 7310 1 || return 1
	wait_line 1 kd_s listening 30 >/dev/null || return 1
	spawn 2 kd_c ms_stream source 10.77.0.1 7310 -1 64 || return 1
	wait_line 2 kd_c '^connected' 60 >/dev/null || return 1
	cpid=$(pid_of 2 kd_c) || return 1
	before=$(ms_stat 3 socks_in)
	back_failed=$(ms_stat 2 socks_back_failed)
	# What node 3 receives at 16 Mbit/s: the 64 MiB image takes ~30 s.
	"$top/qemu/cluster" shape 3 16mbit || return 1
	trap '"$top/qemu/cluster" shape 3 off' RETURN
	on 2 "(migrate -t 120 $cpid 3 > /tmp/kd_mig.out 2>&1; echo done >> /tmp/kd_mig.out) &"
	# The sockets go first (MIGTOYOU), then the image: kill in the middle.
	for i in $(seq 1 80); do
		[ "$(ms_stat 3 socks_in)" != "$before" ] && break
		sleep 0.25
	done
	[ "$(ms_stat 3 socks_in)" != "$before" ] || fail "the sockets never reached node 3" || return 1
	sleep 3
	on 2 "grep -q done /tmp/kd_mig.out" && fail "the move ended before node 3 was killed" && return 1
	"$top/qemu/cluster" kill 3 || return 1
	"$top/qemu/cluster" shape 3 off
	for i in $(seq 1 120); do
		on 2 "grep -q done /tmp/kd_mig.out" && break
		sleep 0.5
	done
	echo "    migrate: $(on 2 "cat /tmp/kd_mig.out" | tr '\n' ' ')"
	stays_on 2 "$cpid" || fail "the source did not stay on node 2" || rc=1
	if [ $rc = 0 ]; then
		on 2 "kill -USR1 $cpid"
		sent=$(wait_line 2 kd_c '^ok sent|FAIL' 120) || rc=1
		got=$(wait_line 1 kd_s '^ok received|FAIL' 120) || rc=1
		[ $rc = 0 ] && { expect_eq "bytes after the target died" "${got#ok received }" "${sent#ok sent }" || rc=1; }
		echo "    ${sent#ok sent } bytes checked; socks_taken_back $(ms_stat 2 socks_taken_back)"
		# The MIGBACK went to a dead node: bounded (5 s), counted.
		[ "$(ms_stat 2 socks_back_failed)" -gt "$back_failed" ] ||
			fail "no MIGBACK to the dead node was counted as failed" || rc=1
	fi
	on 2 "kill $cpid" 2>/dev/null
	on 1 "kill \$(awk '/^pid/ { print \$2 }' /tmp/kd_s.out)" 2>/dev/null
	if [ $rc = 0 ]; then
		nothing_left 2 && nothing_left 1 || rc=1
	fi
	"$top/qemu/cluster" start 3 || fail "node 3 did not come back" || return 1
	[ $rc = 0 ] || return 1
	on 1 migtest -m 1 -q -h 3,0 >/dev/null || fail "a move to the rebooted node 3" || return 1
	no_kernel_problem
}

test_torture_target_dies_during_migtoyou() {
	need_nodes 3 || return 0
	nodes_up || return 1
	local cpid sent got rc=0 i before
	# A stream from node 2 to node 1; its source moves to node 3, which
	# takes no MTCP datagram (fault knob: every one dropped), so the
	# MIGTOYOU that carries the sockets is resent until node 3 is killed.
	spawn 1 km_s ms_stream sink 7330 1 || return 1
	wait_line 1 km_s listening 30 >/dev/null || return 1
	spawn 2 km_c ms_stream source 10.77.0.1 7330 || return 1
	wait_line 2 km_c '^connected' 60 >/dev/null || return 1
	cpid=$(pid_of 2 km_c) || return 1
	before=$(ms_stat 3 fault_dropped)
	on 3 "echo '1000 0 0' > /proc/hpc/migsock/fault" || return 1
	on 2 "(migrate -t 60 $cpid 3 > /tmp/km_mig.out 2>&1; echo done \$? >> /tmp/km_mig.out) &"
	for i in $(seq 1 40); do
		[ "$(ms_stat 3 fault_dropped)" != "$before" ] && break
		sleep 0.25
	done
	[ "$(ms_stat 3 fault_dropped)" != "$before" ] || fail "no MIGTOYOU reached node 3" || return 1
	sleep 1
	on 2 "grep -q done /tmp/km_mig.out" && fail "the move ended before node 3 was killed" && return 1
	"$top/qemu/cluster" kill 3 || return 1
	for i in $(seq 1 80); do
		on 2 "grep -q done /tmp/km_mig.out" && break
		sleep 0.5
	done
	echo "    migrate: $(on 2 "cat /tmp/km_mig.out" | tr '\n' ' ')"
	on 2 "grep -q '^done [1-9]' /tmp/km_mig.out" || fail "the move did not fail" || rc=1
	[ $rc = 0 ] && { stays_on 2 "$cpid" || fail "the source did not stay on node 2" || rc=1; }
	if [ $rc = 0 ]; then
		on 2 "kill -USR1 $cpid"
		sent=$(wait_line 2 km_c '^ok sent|FAIL' 120) || rc=1
		got=$(wait_line 1 km_s '^ok received|FAIL' 120) || rc=1
		[ $rc = 0 ] && { expect_eq "bytes after the target died" "${got#ok received }" "${sent#ok sent }" || rc=1; }
		echo "    ${sent#ok sent } bytes checked"
	fi
	on 2 "kill $cpid" 2>/dev/null
	on 1 "kill \$(awk '/^pid/ { print \$2 }' /tmp/km_s.out)" 2>/dev/null
	if [ $rc = 0 ]; then
		nothing_left 2 && nothing_left 1 || rc=1
	fi
	"$top/qemu/cluster" start 3 || fail "node 3 did not come back" || return 1
	[ $rc = 0 ] || return 1
	on 1 migtest -m 1 -q -h 3,0 >/dev/null || fail "a move to the rebooted node 3" || return 1
	no_kernel_problem
}

test_torture_peer_dies_during_stream() {
	need_nodes 3 || return 0
	nodes_up || return 1
	local r sent got rc=0
	# Two streams from node 1, to sinks on nodes 2 and 3; node 3 dies.  The
	# source talking to it gives up (ETIMEDOUT after its retransmissions,
	# about 70 s) and leaves no socket; the other stream is whole.
	spawn 3 kp_s3 ms_stream sink 7340 1 || return 1
	spawn 2 kp_s2 ms_stream sink 7341 1 || return 1
	wait_line 3 kp_s3 listening 30 >/dev/null && wait_line 2 kp_s2 listening 30 >/dev/null || return 1
	spawn 1 kp_c3 ms_stream source 10.77.0.3 7340 || return 1
	spawn 1 kp_c2 ms_stream source 10.77.0.2 7341 || return 1
	wait_line 1 kp_c3 '^connected' 60 >/dev/null && wait_line 1 kp_c2 '^connected' 60 >/dev/null || return 1
	sleep 2
	"$top/qemu/cluster" kill 3 || return 1
	r=$(wait_line 1 kp_c3 '^ok sent|FAIL' 180) || rc=1
	echo "    source to the dead node: $r"
	[ $rc = 0 ] && { printf '%s\n' "$r" | grep -q 'FAIL.*timed out' || fail "not ETIMEDOUT: $r" || rc=1; }
	on 1 "kill -USR1 \$(awk '/^pid/ { print \$2 }' /tmp/kp_c2.out)" || rc=1
	sent=$(wait_line 1 kp_c2 '^ok sent|FAIL' 120) || rc=1
	got=$(wait_line 2 kp_s2 '^ok received|FAIL' 120) || rc=1
	[ $rc = 0 ] && { expect_eq "bytes of the other stream" "${got#ok received }" "${sent#ok sent }" || rc=1; }
	echo "    other stream: ${sent#ok sent } bytes checked"
	if [ $rc = 0 ]; then
		nothing_left 1 && nothing_left 2 || rc=1
	fi
	"$top/qemu/cluster" start 3 || fail "node 3 did not come back" || return 1
	[ $rc = 0 ] || return 1
	stream_works 1 3 7342 || return 1
	no_kernel_problem
}

test_torture_source_dies_during_image() {
	need_nodes 3 || return 0
	nodes_up || return 1
	local cpid i stats before rc=0 unclaimed
	# A process of node 3 with a socket (to a sink on node 2) moves to
	# node 1 with 64 MiB; node 3 dies half-way.  Node 1 keeps nothing of it.
	spawn 2 ks_s ms_stream sink 7320 1 || return 1
	wait_line 2 ks_s listening 30 >/dev/null || return 1
	spawn 3 ks_c ms_stream source 10.77.0.2 7320 -1 64 || return 1
	wait_line 3 ks_c '^connected' 60 >/dev/null || return 1
	cpid=$(pid_of 3 ks_c) || return 1
	before=$(ms_stat 1 socks_in)
	unclaimed=$(ms_stat 1 arrivals_unclaimed)
	"$top/qemu/cluster" shape 1 16mbit || return 1
	trap '"$top/qemu/cluster" shape 1 off' RETURN
	on 3 "migrate -t 120 $cpid 1 > /dev/null 2>&1 &"
	for i in $(seq 1 80); do
		[ "$(ms_stat 1 socks_in)" != "$before" ] && break
		sleep 0.25
	done
	[ "$(ms_stat 1 socks_in)" != "$before" ] || fail "the sockets never reached node 1" || return 1
	sleep 3
	"$top/qemu/cluster" kill 3 || return 1
	"$top/qemu/cluster" shape 1 off
	# Half an image and the sockets ahead of it: gone within the reaper's 30 s.
	for i in $(seq 1 90); do
		stats=$(on 1 "cat /proc/hpc/test/stats" | tr '\n' ' ')
		[ "$stats" = "links 0 tasks 0 proxies 0 " ] && [ "$(ms_stat 1 sockets_live)" = 0 ] && break
		sleep 1
	done
	expect_eq "hpc objects left on node 1" "$stats" "links 0 tasks 0 proxies 0 " || rc=1
	[ $rc = 0 ] && { expect_eq "sockets left on node 1" "$(ms_stat 1 sockets_live)" 0 || rc=1; }
	if [ $rc = 0 ] && [ "$(ms_stat 1 arrivals_unclaimed)" -le "$unclaimed" ]; then
		fail "node 1 never dropped the sockets of the process that did not arrive"
		rc=1
	fi
	on 2 "kill \$(awk '/^pid/ { print \$2 }' /tmp/ks_s.out)" 2>/dev/null
	"$top/qemu/cluster" start 3 || fail "node 3 did not come back" || return 1
	[ $rc = 0 ] || return 1
	on 3 migtest -m 1 -q -h 1,2,0 >/dev/null || fail "moves from the rebooted node 3" || return 1
	no_kernel_problem
}

test_torture_limits_then_released() {
	need_nodes 2 || return 0
	local conns=${TORTURE_CONNS:-256} hold=${TORTURE_HOLD:-20} bytes=160000 r n spid
	spawn 2 lim_s ms_limits server 7330 "$conns" "$bytes" $((hold + 900)) || return 1
	wait_line 2 lim_s listening 30 >/dev/null || return 1
	spid=$(pid_of 2 lim_s) || return 1
	spawn 1 lim_c ms_limits client 10.77.0.2 7330 "$conns" "$bytes" || return 1
	wait_line 1 lim_c '^connected|FAIL' 300 | grep -q connected || fail "connections" || return 1
	# Every send queue full once: the receiver reads nothing, its windows shut.
	wait_line 1 lim_c '^full|FAIL' 600 | grep -q full || fail "send queues never all full" || return 1
	sleep "$hold"
	echo "    $conns connections, every queue full, windows shut for at least ${hold}s"
	echo "    node 1 sockets_live $(ms_stat 1 sockets_live), node 2 $(ms_stat 2 sockets_live)"
	on 2 "kill -USR1 $spid" || return 1
	r=$(wait_line 2 lim_s '^ok read|FAIL' 900) || return 1
	expect_eq "bytes read" "$r" "ok read $((conns * bytes))" || return 1
	wait_line 1 lim_c '^exit 0' 120 >/dev/null || return 1
	nothing_left 1 120 && nothing_left 2 120 || return 1
	no_kernel_problem
}
