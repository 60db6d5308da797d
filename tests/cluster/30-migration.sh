# Process migration (issue 3): hops, deputy and remote, exit status,
# signals, bad input, many migrations, tools.  Uses tests/progs/migtest.c
# and the commands in tools/ (migrate, mosctl, mps, setpe).
#
# One test by hand against a running cluster:
#   NODES=3 bash -c 'source tests/lib.sh; source tests/cluster/30-migration.sh; test_mig_hops_by_itself'
# The runner runs a file's tests in alphabetical order of their names.

# ---- moving by itself ----

test_mig_hops_by_itself() {
	need_nodes 3 || return 0
	local out rc
	out=$(on 1 migtest -h 2,3,2,1 -x 7)
	rc=$?
	expect_eq "migtest exit code seen by its parent" "$rc" 7 || { echo "$out" >&2; return 1; }
	if echo "$out" | grep -q FAIL; then
		echo "$out" | grep FAIL >&2
		fail "migtest reported failures"
		return 1
	fi
	hops_in_order "$out" || fail "hop lines out of order or missing" || return 1
	for n in 1 2 3 4; do
		echo "$out" | grep -q "^hop $n -> node [0-9]*: ok where" ||
			fail "no where check after hop $n" || return 1
	done
	echo "$out" | grep -q '^migtest: all ok at node 1' || fail "did not end at home"
}

test_mig_hops_home_by_zero() {
	need_nodes 3 || return 0
	local out
	out=$(on 2 migtest -m 16 -q -h 3,1,0) || { echo "$out" >&2; fail "migtest from node 2"; return 1; }
	echo "$out" | grep -q '^migtest: all ok at node 2' || fail "did not end at home (node 2)"
}

test_mig_exit_code_on_remote() {
	need_nodes 3 || return 0
	local rc
	on 1 migtest -m 1 -q -h 2 -x 42 >/dev/null
	rc=$?
	expect_eq "exit code from node 2" "$rc" 42 || return 1
	on 1 migtest -m 1 -q -h 2,3 -x 3 >/dev/null
	rc=$?
	expect_eq "exit code from node 3 after 2 hops" "$rc" 3 || return 1
	on 1 migtest -m 1 -q -h 2 -x 0 >/dev/null || fail "exit code 0 from node 2"
}

test_mig_exit_signal_on_remote() {
	need_nodes 2 || return 0
	local sig out
	for sig in 15 9 10; do
		out=$(on 1 "migtest -m 1 -q -h 2 -k $sig; echo \"status \$?\"")
		echo "$out" | grep -q "^status $((128 + sig))\$" ||
			{ echo "$out" | tail -n 3 >&2; fail "killed by signal $sig on node 2: parent saw '$(echo "$out" | tail -n1)'"; return 1; }
	done
}

# ---- moved from outside ----

test_mig_hops_from_outside() {
	need_nodes 3 || return 0
	local pid n want
	pid=$(spawn_migtest 1 out1 -w -t 240) || return 1
	wait_line 1 out1 '^alive 0$' >/dev/null || return 1
	for n in 2 3 2 1; do
		on 1 migrate "$pid" "$n" || fail "migrate $pid $n" || return 1
		want=$n
		[ "$n" = 1 ] && want=0
		expect_eq "where after migrate $pid $n" "$(on 1 mosctl where "$pid")" "$want" || return 1
		wait_line 1 out1 "^alive $want\$" >/dev/null || return 1
	done
	on 1 kill -USR2 "$pid" || return 1
	wait_line 1 out1 '^exit ' >/dev/null || return 1
	no_failures 1 out1 || return 1
	expect_eq "moves" "$(on 1 "grep -c '^move [0-9]* -> node [0-9]*: ok where' /tmp/out1.out")" 4 || return 1
	on 1 "grep -q '^exit 0\$' /tmp/out1.out" || fail "migtest did not exit 0"
}

test_mig_migrate_from_remote_node() {
	# migrate run on the node the process is on, with its local pid there.
	need_nodes 3 || return 0
	local pid lpid
	pid=$(spawn_migtest 1 out2 -m 8 -w -t 240) || return 1
	on 1 migrate "$pid" 2 || fail "migrate $pid 2" || return 1
	wait_line 1 out2 '^alive 2$' >/dev/null || return 1
	lpid=$(guest_pid 2 1 "$pid")
	[ -n "$lpid" ] || fail "pid $pid of node 1 not in node 2's /proc/hpc/remote" || return 1
	expect_eq "mosctl home on node 2" "$(on 2 mosctl home "$lpid")" "1 $pid" || return 1
	on 2 migrate "$lpid" 3 || fail "migrate on node 2 to 3" || return 1
	wait_line 1 out2 '^alive 3$' >/dev/null || return 1
	lpid=$(guest_pid 3 1 "$pid")
	on 3 migrate "$lpid" home || fail "migrate on node 3 home" || return 1
	wait_line 1 out2 '^alive 0$' >/dev/null || return 1
	expect_eq "where at home" "$(on 1 mosctl where "$pid")" 0 || return 1
	on 1 kill -USR2 "$pid"
	wait_line 1 out2 '^exit 0$' >/dev/null || return 1
	no_failures 1 out2
}

test_mig_lock_does_not_stop_explicit_goto() {
	need_nodes 2 || return 0
	local pid
	pid=$(spawn_migtest 1 out3 -m 1 -w -t 120) || return 1
	on 1 mosctl lock "$pid" >/dev/null || fail "mosctl lock" || return 1
	expect_eq "lock" "$(on 1 cat /proc/"$pid"/lock)" 1 || return 1
	on 1 migrate "$pid" 2 || fail "migrate of a locked process" || return 1
	wait_line 1 out3 '^alive 2$' >/dev/null || return 1
	on 1 mosctl unlock "$pid" >/dev/null || fail "mosctl unlock of a deputy" || return 1
	expect_eq "lock" "$(on 1 mosctl getlock "$pid")" 0 || return 1
	on 1 kill -USR2 "$pid"
	wait_line 1 out3 '^exit 0$' >/dev/null || return 1
	no_failures 1 out3
}

# ---- signals and deaths ----

test_mig_signal_at_home_reaches_remote() {
	need_nodes 2 || return 0
	local pid
	pid=$(spawn_migtest 1 out4 -m 1 -h 2 -w -t 120) || return 1
	wait_line 1 out4 '^alive 2$' >/dev/null || return 1
	on 1 kill -USR1 "$pid" || return 1
	wait_line 1 out4 '^signal SIGUSR1 at node 2$' 30 >/dev/null || return 1
	on 1 kill -USR2 "$pid"
	wait_line 1 out4 '^exit 0$' >/dev/null || return 1
	no_failures 1 out4
}

test_mig_sigkill_deputy_ends_remote() {
	need_nodes 2 || return 0
	local pid lpid
	pid=$(spawn_migtest 1 out5 -m 1 -h 2 -w -t 120) || return 1
	wait_line 1 out5 '^alive 2$' >/dev/null || return 1
	lpid=$(guest_pid 2 1 "$pid")
	[ -n "$lpid" ] || fail "no guest on node 2 for $pid" || return 1
	on 1 kill -KILL "$pid" || return 1
	wait_line 1 out5 '^exit 137$' 30 >/dev/null || return 1
	for _ in $(seq 1 40); do
		[ -z "$(guest_pid 2 1 "$pid")" ] && ! on 2 "[ -d /proc/$lpid ]" && return 0
		sleep 0.5
	done
	fail "remote $lpid on node 2 still there after its deputy was killed"
}

test_mig_remote_killed_ends_deputy() {
	need_nodes 2 || return 0
	local pid lpid sig
	for sig in TERM KILL; do
		pid=$(spawn_migtest 1 out6 -m 1 -h 2 -w -t 120) || return 1
		wait_line 1 out6 '^alive 2$' >/dev/null || return 1
		lpid=$(guest_pid 2 1 "$pid")
		[ -n "$lpid" ] || fail "no guest on node 2 for $pid" || return 1
		on 2 kill -"$sig" "$lpid" || return 1
		if [ "$sig" = TERM ]; then
			wait_line 1 out6 '^exit 143$' 30 >/dev/null || return 1
		else
			wait_line 1 out6 '^exit 137$' 30 >/dev/null || return 1
		fi
		on 1 "[ -d /proc/$pid ]" && fail "deputy $pid still there after SIG$sig" && return 1
		on 1 "grep -q '^$pid ' /proc/hpc/deputy" && fail "$pid still in /proc/hpc/deputy" && return 1
	done
	return 0
}

# ---- errors and bad input ----

test_mig_bad_input_to_proc_files() {
	local pid bad f
	pid=$(on 1 'sleep 600 > /dev/null 2>&1 & echo $!') || return 1
	for f in goto lock; do
		for bad in abc -1 65536 99999999999999999999 2x ' ' '1 2' 0x2 '\001' '2\n3'; do
			expect_fails "$f <- '$bad'" 1 "printf '$bad' > /proc/$pid/$f" || return 1
		done
	done
	for bad in 2 -1 abc; do
		expect_fails "lock <- $bad" 1 "echo $bad > /proc/$pid/lock" || return 1
	done
	for f in where; do
		expect_fails "write to $f" 1 "echo 0 > /proc/$pid/$f" || return 1
	done
	for f in remote deputy; do
		expect_fails "write to /proc/hpc/$f" 1 "echo 1 2 3 x > /proc/hpc/$f" || return 1
	done
	expect_eq "where after bad writes" "$(on 1 cat /proc/"$pid"/where)" 0 || return 1
	expect_eq "lock after bad writes" "$(on 1 cat /proc/"$pid"/lock)" 0 || return 1
	expect_eq "goto with nothing pending" "$(on 1 cat /proc/"$pid"/goto)" -1 || return 1
	on 1 "echo 1 > /proc/$pid/lock && echo 0 > /proc/$pid/lock" || fail "valid lock writes refused" || return 1
	on 1 "[ -d /proc/$pid ]" || fail "process $pid died from bad input" || return 1
	on 1 kill "$pid"
}

test_mig_goto_unknown_node() {
	local out pid
	out=$(on 1 migtest -m 4 -q -h 99,65535 -e EHOSTUNREACH) ||
		{ echo "$out" >&2; fail "goto of a node not in the map"; return 1; }
	out=$(on 1 migtest -m 1 -q -h 65536 -e EINVAL 2>&1)
	expect_eq "migtest refuses node 65536 itself" "$?" 2 || return 1
	pid=$(on 1 'sleep 600 > /dev/null 2>&1 & echo $!') || return 1
	out=$(on 1 migrate "$pid" 99 2>&1)
	expect_eq "migrate to node 99: exit code" "$?" 1 || return 1
	echo "$out" | grep -q 'not in the node map' || fail "migrate to node 99 said: $out" || return 1
	expect_eq "where after failed migrate" "$(on 1 mosctl where "$pid")" 0 || return 1
	on 1 kill "$pid"
}

test_mig_goto_down_node() {
	# Node 60000 is in node 1's map but no machine answers at its address.
	local good="1 10.77.0.1 $NODES" out rc
	on 1 "printf '$good\n60000 10.77.0.250 1\n' | setpe -w" || fail "setpe -w" || return 1
	out=$(on 1 migtest -m 4 -q -h 60000 -e down)
	rc=$?
	on 1 "echo '$good' | setpe -w" || fail "restoring the map" || return 1
	[ $rc = 0 ] || { echo "$out" >&2; fail "goto of a down node"; }
}

test_mig_goto_refusing_node() {
	# Node 3 drops node 2 from its map: it must refuse a process from node 2
	# (link peers must be in the node map).
	need_nodes 3 || return 0
	local good="1 10.77.0.1 $NODES" out rc
	on 3 "printf '1 10.77.0.1 1\n3 10.77.0.3 1\n' | setpe -w" || fail "setpe -w on node 3" || return 1
	out=$(on 2 migtest -m 4 -q -h 3 -e down)
	rc=$?
	on 3 "echo '$good' | setpe -w" || fail "restoring node 3's map" || return 1
	[ $rc = 0 ] || { echo "$out" >&2; fail "goto of a node that refuses"; return 1; }
	on 2 migtest -m 1 -q -h 3,0 >/dev/null || fail "goto 3 after restoring the map"
}

test_mig_goto_locked_by_migsock() {
	# The kernel's test hook (CONFIG_HPC_TEST_HOOKS) holds migsock's
	# migration lock on a process: "PID 1" / "PID 0" to /proc/hpc/test/lock.
	need_nodes 2 || return 0
	local pid out rc
	on 1 "[ -e /proc/hpc/test/lock ]" || fail "no /proc/hpc/test/lock in this kernel" || return 1
	pid=$(spawn_migtest 1 out8 -m 1 -w -t 240) || return 1
	on 1 "echo '$pid 1' > /proc/hpc/test/lock" || fail "taking the lock" || return 1
	out=$(on 1 migrate -t 120 "$pid" 2 2>&1)
	rc=$?
	on 1 "echo '$pid 0' > /proc/hpc/test/lock" || fail "releasing the lock" || return 1
	expect_eq "migrate of a locked process: exit code" "$rc" 1 || return 1
	echo "$out" | grep -q "held by migsock" || fail "migrate said: $out" || return 1
	expect_eq "where" "$(on 1 mosctl where "$pid")" 0 || return 1
	on 1 migrate "$pid" 2 || fail "migrate after the lock was released" || return 1
	wait_line 1 out8 '^alive 2$' >/dev/null || return 1
	on 1 kill -USR2 "$pid"
	wait_line 1 out8 '^exit 0$' >/dev/null || return 1
	no_failures 1 out8
}

test_mig_goto_while_the_process_exits() {
	# A goto that waits for migsock's migration lock while its process
	# exits is queued on a task on its way out (the move would run from
	# exit_task_work, past exit_mm): it must do nothing and fail with
	# ESRCH.  The lock is let go at several times into the exit of a
	# 128 MiB process; once the process is gone the lock cannot be let go
	# and the goto gives up waiting (EBUSY).
	need_nodes 2 || return 0
	local pid d r hits=0
	on 1 "[ -e /proc/hpc/test/lock ]" || fail "no /proc/hpc/test/lock in this kernel" || return 1
	for d in 0 2000 10000 40000 100000; do
		pid=$(spawn_migtest 1 gx -m 128 -w -t 240) || return 1
		on 1 "echo '$pid 1' > /proc/hpc/test/lock" || fail "taking the lock" || return 1
		on 1 "rm -f /tmp/gx_goto.out; (echo 2 > /proc/$pid/goto; echo rc \$?) > /tmp/gx_goto.out 2>&1 &"
		sleep 0.5
		on 1 "kill -9 $pid; usleep $d; echo '$pid 0' > /proc/hpc/test/lock" 2>/dev/null
		wait_line 1 gx_goto '^rc ' 30 >/dev/null || return 1
		wait_line 1 gx '^exit ' 30 >/dev/null || return 1
		r=$(on 1 "tr '\n' ' ' < /tmp/gx_goto.out")
		echo "    lock let go ${d} us after the kill: $r"
		case "$r" in
		*"No such process"*) hits=$((hits + 1)) ;;
		*"resource busy"*) ;;
		*) fail "the goto of an exiting process: $r"; return 1 ;;
		esac
		"$top/qemu/cluster" log 1 | grep -E "pid $pid stays" &&
			fail "a move of exiting pid $pid was tried" && return 1
	done
	[ $hits -gt 0 ] || fail "no goto was queued while its process exited" || return 1
	on 1 migtest -m 1 -q -h 2,0 >/dev/null || fail "a move after the races" || return 1
	no_kernel_problem
}

test_mig_home_with_an_interval_timer() {
	# The timer stays at home with the deputy: its SIGALRMs, every
	# millisecond, come while the image comes back, and must not break
	# the move home off (they did, with EINTR, half-way through).
	need_nodes 2 || return 0
	local r
	r=$(on 1 "itimer_move 2 10") || fail "$r" || return 1
	echo "    $r"
	on 1 migtest -m 1 -q -h 2,0 >/dev/null || fail "a move after the timer process" || return 1
}

test_mig_goto_meets_a_process_coming_home() {
	# Gotos written at home while the process sends its image home (sent
	# there from its own node): each is done or fails with EBUSY, and
	# none breaks the image.  They did: the receive thread's answer
	# landed inside the image, or its task work (TWA_SIGNAL) cut a send
	# short and the deputy waited for the rest of a message for ever.
	need_nodes 3 || return 0
	local pid lpid r i held log1 log2
	log1=$("$top/qemu/cluster" log 1 | wc -l)
	log2=$("$top/qemu/cluster" log 2 | wc -l)
	pid=$(spawn_migtest 1 gh -m 128 -w -t 240) || return 1
	for i in 1 2; do
		on 1 migrate "$pid" 2 || fail "migrate $pid 2" || return 1
		on 1 "rm -f /tmp/gh_ask.out" || return 1
		lpid=$(guest_pid 2 1 "$pid")
		[ -n "$lpid" ] || fail "no guest for 1/$pid on node 2" || return 1
		spawn 2 gh_home migrate "$lpid" home || return 1
		on 1 "for d in 100000 300000 600000 1000000 1500000; do
			( usleep \$d; migrate $pid 3 > /tmp/gh_ask.\$d 2>&1
			  echo \"rc \$? \$(cat /tmp/gh_ask.\$d)\" >> /tmp/gh_ask.out ) &
		      done; wait" || return 1
		wait_line 2 gh_home '^exit ' 150 >/dev/null || return 1
		r=$(on 2 "tail -n 1 /tmp/gh_home.out")
		expect_eq "move home from node 2 (round $i)" "$r" "exit 0" || return 1
		r=$(on 1 "cat /tmp/gh_ask.out")
		echo "    round $i, gotos from home: $(echo "$r" | sort | uniq -c | tr -s ' \n' ' ')"
		echo "$r" | grep -v -E '^rc 0 *$|^rc 1 .*resource busy' &&
			fail "a goto beside the move home ended badly" && return 1
		on 1 migrate "$pid" home || fail "migrate $pid home" || return 1
	done
	held=$("$top/qemu/cluster" log 2 | tail -n +$((log2 + 1)) |
		grep -c "a goto from home came while it left")
	echo "    gotos held while the process left: $held"
	[ "$held" -gt 0 ] || fail "no goto met the process on its way home" || return 1
	on 1 kill -USR2 "$pid"
	wait_line 1 gh '^exit ' 60 >/dev/null || return 1
	no_failures 1 gh || return 1
	expect_eq "migtest's end" "$(on 1 "tail -n 1 /tmp/gh.out")" "exit 0" || return 1
	"$top/qemu/cluster" log 1 | tail -n +$((log1 + 1)) |
		grep -E "could not come home|inside an image|malformed|broken" &&
		fail "the image home was broken" && return 1
	"$top/qemu/cluster" log 2 | tail -n +$((log2 + 1)) | grep -E "leaving failed" &&
		fail "a move home failed" && return 1
	no_kernel_problem
}

test_mig_hooks_called_with_task_and_nodes() {
	# ms_process_migrate_outbound/inbound and the exit hook, in order, with
	# the right process and nodes, on every node it passes.
	need_nodes 2 || return 0
	local pid lpid log1 log2
	pid=$(spawn_migtest 1 hk -m 1 -w -t 240) || return 1
	on 1 migrate "$pid" 2 || fail "migrate $pid 2" || return 1
	wait_line 1 hk '^alive 2$' >/dev/null || return 1
	lpid=$(guest_pid 2 1 "$pid")
	[ -n "$lpid" ] || fail "no guest for 1/$pid on node 2" || return 1
	on 2 "echo '1 $pid' > /proc/hpc/test/lookup" || return 1
	expect_eq "lookup of 1/$pid on node 2" "$(on 2 cat /proc/hpc/test/lookup)" "$lpid" || return 1
	on 1 "echo '1 $pid' > /proc/hpc/test/lookup" || return 1
	expect_eq "lookup of 1/$pid at home" "$(on 1 cat /proc/hpc/test/lookup)" "$pid" || return 1
	on 1 migrate "$pid" home || fail "migrate $pid home" || return 1
	wait_line 1 hk '^alive 0$' >/dev/null || return 1
	on 1 kill -USR2 "$pid"
	wait_line 1 hk '^exit 0$' >/dev/null || return 1
	# Node 1: outbound to 2, done, inbound from 2, exit.  Node 2: inbound from 1,
	# outbound to 1, done; both name the process by its home (1, pid).
	log1=$(on 1 "awk '\$3 == $pid { print \$2, \$4, \$5, \$6 }' /proc/hpc/test/hooks" | tr '\n' ';')
	expect_eq "hooks on node 1" "$log1" "outbound 1 $pid 2;done 1 $pid 2;inbound 1 $pid 2;exit 1 $pid 1;" || return 1
	log2=$(on 2 "awk '\$3 == $lpid { print \$2, \$4, \$5, \$6 }' /proc/hpc/test/hooks" | tr '\n' ';')
	expect_eq "hooks on node 2" "$log2" "inbound 1 $pid 1;outbound 1 $pid 1;done 1 $pid 1;" || return 1
}

test_mig_unmovable_processes() {
	need_nodes 2 || return 0
	local out
	out=$(on 1 migtest -m 1 -q -T -h 2 -e EOPNOTSUPP) ||
		{ echo "$out" >&2; fail "multi-threaded process"; return 1; }
	out=$(on 1 migtest -m 1 -q -S -h 2 -e EOPNOTSUPP) ||
		{ echo "$out" >&2; fail "process with shared writable memory"; return 1; }
}

test_mig_tools_usage() {
	local cmd rc
	for cmd in "migrate" "migrate 1" "migrate x 2" "migrate 1 x" "migrate 1 65536" \
		"migrate -q 1 2" "mosctl" "mosctl bogus" "mosctl where x" "mps -z" \
		"setpe" "setpe -r -w" "setpe -x" "migtest -m 0" "migtest -h x"; do
		on 1 "$cmd" >/dev/null 2>&1
		rc=$?
		expect_eq "'$cmd' exit code" "$rc" 2 || return 1
	done
}

# ---- tools ----

test_mig_tools_show_placement() {
	need_nodes 2 || return 0
	local pid lpid line
	pid=$(spawn_migtest 1 out7 -m 1 -h 2 -w -t 120) || return 1
	wait_line 1 out7 '^alive 2$' >/dev/null || return 1
	line=$(on 1 mps -m | awk -v p="$pid" '$1 == p')
	expect_eq "mps at home" "$(echo "$line" | awk '{ print $2, $3, $4, $6, $7 }')" \
		"1 $pid 2 deputy migtest" || return 1
	lpid=$(guest_pid 2 1 "$pid")
	line=$(on 2 mps -m | awk -v p="$lpid" '$1 == p')
	expect_eq "mps on node 2" "$(echo "$line" | awk '{ print $2, $3, $4, $6, $7 }')" \
		"1 $pid 2 guest migtest" || return 1
	on 1 "grep -q '^$pid 2 ' /proc/hpc/deputy" || fail "$pid not in node 1's /proc/hpc/deputy" || return 1
	expect_eq "mosctl status" "$(on 1 mosctl status "$pid")" \
		"pid $pid home 1 hpid $pid where 2 lock 0 goto -1" || return 1
	on 1 kill -USR2 "$pid"
	wait_line 1 out7 '^exit 0$' >/dev/null || return 1
	no_failures 1 out7
}

test_mig_setpe_round_trip() {
	local good="1 10.77.0.1 $NODES"
	expect_eq "setpe -r" "$(on 3 setpe -r)" "$good" || return 1
	expect_fails "setpe -w garbage" 3 "echo garbage | setpe -w" || return 1
	expect_fails "setpe -w overlapping" 3 "printf '1 10.77.0.1 3\n2 10.77.1.1 1\n' | setpe -w" || return 1
	on 3 "printf '# two ranges\n1 10.77.0.1 $NODES\n20:10.77.0.40:5\n' | setpe -w" ||
		fail "setpe -w of two ranges" || return 1
	expect_eq "map" "$(on 3 setpe -r | tr '\n' ';')" "$good;20 10.77.0.40 5;" || return 1
	on 3 "echo '$good' | setpe -w" || fail "restoring the map"
	expect_eq "map restored" "$(on 3 setpe -r)" "$good"
}

# ---- many migrations ----


test_mig_hundred_back_and_forth() {
	need_nodes 2 || return 0
	local out before1 before2 after1 after2
	before1=$(mem_available 1)
	before2=$(mem_available 2)
	out=$(on 1 migtest -m 4 -q -h "$(hop_list 100 2 0)") ||
		{ echo "$out" | grep -E 'FAIL|^migtest' | head >&2; fail "100 hops"; return 1; }
	expect_eq "hops done" "$(echo "$out" | grep -c '^hop [0-9]* -> node [0-9]*: ok')" 100 || return 1
	expect_eq "guests left on node 2" "$(on 2 "tail -n +2 /proc/hpc/remote | wc -l")" 0 || return 1
	expect_eq "deputies left on node 1" "$(on 1 "tail -n +2 /proc/hpc/deputy | wc -l")" 0 || return 1
	after1=$(mem_available 1)
	after2=$(mem_available 2)
	# 400 MiB went each way; allow 32 MiB of noise.
	[ $((before1 - after1)) -lt 32768 ] || fail "node 1 lost $(((before1 - after1) / 1024)) MiB" || return 1
	[ $((before2 - after2)) -lt 32768 ] || fail "node 2 lost $(((before2 - after2) / 1024)) MiB"
}

test_mig_ten_at_once() {
	need_nodes 3 || return 0
	local i home hops pids=()
	for i in $(seq 0 9); do
		home=$((i % 2 + 1))
		case $((i % 3)) in
		0) hops=2,3,1,3,2,0 ;;
		1) hops=3,2,3,1,2,0 ;;
		2) hops=1,2,3,0,3,2 ;;	# ends away from home
		esac
		spawn "$home" "many$i" migtest -m 8 -q -h "$hops" -x $((10 + i)) || return 1
	done
	for i in $(seq 0 9); do
		home=$((i % 2 + 1))
		wait_line "$home" "many$i" '^exit ' 280 >/dev/null || return 1
		no_failures "$home" "many$i" || return 1
		on "$home" "grep -q '^exit $((10 + i))\$' /tmp/many$i.out" ||
			fail "process $i (home $home) did not exit $((10 + i))" || return 1
	done
	for i in $(seq 1 "$NODES"); do
		expect_eq "guests left on node $i" "$(on "$i" "tail -n +2 /proc/hpc/remote | wc -l")" 0 || return 1
		expect_eq "deputies left on node $i" "$(on "$i" "tail -n +2 /proc/hpc/deputy | wc -l")" 0 || return 1
	done
}

# ---- an ordinary TCP socket opened at home ----

test_mig_tcp_echo_while_hopping() {
	need_nodes 3 || return 0
	local out
	spawn 1 echod1 echod -p 7007 -t 280 -n 1 || return 1
	wait_line 1 echod1 '^echod: listening' 30 >/dev/null || return 1
	out=$(on 1 migtcp -a 127.0.0.1 -p 7007 -h 2,3,2,0) ||
		{ echo "$out" >&2; fail "migtcp to node 1's echod"; return 1; }
	echo "$out" | grep -q '^migtcp: ok 10485760 bytes echoed, 4 hops, at node 1' ||
		{ echo "$out" >&2; fail "migtcp did not finish at home"; return 1; }
	# The server on a node the process visits, and the process ends away.
	spawn 3 echod3 echod -p 7008 -t 280 -n 1 || return 1
	wait_line 3 echod3 '^echod: listening' 30 >/dev/null || return 1
	out=$(on 1 migtcp -a 10.77.0.3 -p 7008 -h 3,2,3) ||
		{ echo "$out" >&2; fail "migtcp to node 3's echod"; return 1; }
	echo "$out" | grep -q '^migtcp: ok 10485760 bytes echoed, 3 hops, at node 3' ||
		{ echo "$out" >&2; fail "migtcp did not finish at node 3"; }
}

# ---- last ----

test_mig_zz_no_kernel_warnings() {
	no_kernel_problem "hpc: leak"
}

test_mig_remote_node_dies_deputy_exits_as_killed() {
	# Node 3 dies with a process of node 1 on it: the deputy exits as if
	# killed (SIGKILL) once the link notices, and nothing is left behind.
	need_nodes 3 || return 0
	local pid rc=0
	pid=$(spawn_migtest 1 died -m 1 -w -t 240) || return 1
	on 1 migrate "$pid" 3 || fail "migrate $pid 3" || return 1
	wait_line 1 died '^alive 3$' >/dev/null || return 1
	"$top/qemu/cluster" kill 3 || return 1
	wait_line 1 died '^exit ' 60 >/dev/null || rc=1
	[ $rc = 0 ] && { expect_eq "exit of the deputy" \
		"$(on 1 "sed -n 's/^exit //p' /tmp/died.out")" 137 || rc=1; }
	[ $rc = 0 ] && { expect_eq "deputies left on node 1" \
		"$(on 1 "tail -n +2 /proc/hpc/deputy | wc -l")" 0 || rc=1; }
	"$top/qemu/cluster" start 3 || fail "node 3 did not come back" || return 1
	[ $rc = 0 ] && on 1 migtest -m 1 -q -h 3,0 >/dev/null || fail "a move to the rebooted node 3"
	return $rc
}

test_mig_udp_sendto_recvfrom_while_hopping() {
	# An unconnected UDP socket from home: sendto() with an address and
	# recvfrom()'s sender go through the deputy on every node.
	need_nodes 3 || return 0
	local out
	out=$(on 1 migudp -h 2,3,2,0) || { echo "$out" >&2; fail "migudp"; return 1; }
	expect_eq "datagrams" "$(echo "$out" | grep -c '^migudp: ok datagram')" 5
}

test_mig_zz_no_leaked_objects() {
	# After every scenario above: no link, proxy or per-process migration
	# state left on any node once the processes are gone.
	local i stats
	for i in $(seq 1 "$NODES"); do
		stats=$(on "$i" "cat /proc/hpc/test/stats" | tr '\n' ' ')
		expect_eq "objects left on node $i" "$stats" "links 0 tasks 0 proxies 0 " || return 1
	done
}
