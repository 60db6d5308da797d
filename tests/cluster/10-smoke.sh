# Foundation smoke tests: node identity, node map, segment, sys_migsock.

test_mospe_is_node_number() {
	local i
	for i in $(seq 1 "$NODES"); do
		expect_eq "node $i mospe" "$(on "$i" cat /proc/hpc/admin/mospe)" "$i" || return 1
	done
}

test_every_node_has_full_map() {
	local i
	for i in $(seq 1 "$NODES"); do
		expect_eq "node $i map" "$(on "$i" cat /proc/hpc/admin/map)" "1 10.77.0.1 $NODES" ||
			return 1
	done
}

test_nodes_reach_each_other() {
	local i j
	for i in $(seq 1 "$NODES"); do
		for j in $(seq 1 "$NODES"); do
			[ "$i" = "$j" ] && continue
			on "$i" ping -c 1 -W 5 "10.77.0.$j" >/dev/null ||
				fail "node $i cannot reach node $j" || return 1
		done
	done
}

test_segment_has_no_way_out() {
	# No default route on the cluster segment: nothing can leave it.
	local routes
	routes=$(on 1 "ip route | grep '^default' || true")
	expect_eq "default route on node 1" "$routes" ""
}

test_mospe_write_validated() {
	expect_fails "mospe=abc" 2 'echo abc > /proc/hpc/admin/mospe' || return 1
	expect_fails "mospe=0" 2 'echo 0 > /proc/hpc/admin/mospe' || return 1
	expect_fails "mospe=65536" 2 'echo 65536 > /proc/hpc/admin/mospe' || return 1
	expect_fails "mospe=-1" 2 'echo -1 > /proc/hpc/admin/mospe' || return 1
	expect_eq "mospe after bad writes" "$(on 2 cat /proc/hpc/admin/mospe)" 2 || return 1
	on 2 'echo 7 > /proc/hpc/admin/mospe' || fail "mospe=7 refused" || return 1
	expect_eq "mospe after write" "$(on 2 cat /proc/hpc/admin/mospe)" 7 || return 1
	on 2 'echo 2 > /proc/hpc/admin/mospe' || fail "mospe=2 refused"
}

test_map_write_validated() {
	local good="1 10.77.0.1 $NODES" bad
	for bad in "garbage" "0 10.77.0.1 3" "1 10.77.0.1 0" "1 10.77.0.300 3" \
		"1 10.77.0.1" "1 10.77.0.1 3 4" "65535 10.77.0.1 2" "1 0.0.0.0 3" \
		"1 224.0.0.1 3" "1 10.77.0.1 3\n2 10.77.1.1 1" "1 10.77.0.1 3\n9 10.77.0.2 1"; do
		expect_fails "map '$bad'" 3 "printf '$bad\n' > /proc/hpc/admin/map" || return 1
		expect_eq "map after '$bad'" "$(on 3 cat /proc/hpc/admin/map)" "$good" || return 1
	done
	on 3 "printf '1 10.77.0.1 3\n20 10.77.0.40 5\n' > /proc/hpc/admin/map" ||
		fail "valid two-range map refused" || return 1
	expect_eq "two-range map" "$(on 3 cat /proc/hpc/admin/map | tr '\n' ';')" \
		"1 10.77.0.1 3;20 10.77.0.40 5;" || return 1
	on 3 "echo '$good' > /proc/hpc/admin/map" || fail "restoring map refused"
}

test_migsock_syscall_through_libmigsock() {
	local out
	out=$(on 1 ms_smoke) || { echo "$out" >&2; fail "ms_smoke failed"; return 1; }
	echo "$out" | grep -q '^ok: ms_init() returns 0' || fail "ms_smoke printed no result"
}

test_migsock_task_entry_goes_at_exit() {
	local pid
	on 2 'ms_smoke wait > /tmp/smoke.out 2>&1 &' || return 1
	for _ in $(seq 1 50); do
		pid=$(on 2 "sed -n 's/^pid //p' /tmp/smoke.out")
		[ -n "$pid" ] && break
		sleep 0.2
	done
	[ -n "$pid" ] || fail "ms_smoke did not start" || return 1
	on 2 "grep -q '^2 $pid ' /proc/hpc/migsock/tasks" || fail "no task entry for $pid" || return 1
	on 2 "kill $pid" || return 1
	for _ in $(seq 1 50); do
		on 2 "grep -q '^2 $pid ' /proc/hpc/migsock/tasks" || return 0
		sleep 0.2
	done
	fail "task entry for $pid still there after exit"
}

test_no_kernel_warnings() {
	no_kernel_problem "migsock: initialisation failed"
}
