# make torture's large cluster (tests/torture/run boots 8 nodes): one
# stream per node, sink at home on node i, source at home on node i+1,
# 16 processes in all, every one moved by its home node to random nodes
# at random times, all at once (TORTURE_MOVES8 moves each, default 20).
# Every stream's bytes are checked at the end.

test_torture_eight_nodes_sixteen_processes() {
	need_nodes 8 || return 1
	local per=${TORTURE_MOVES8:-20} i j port total=0 line rc=0 sent got
	for i in $(seq 1 "$NODES"); do
		spawn "$i" "t8_s$i" ms_stream sink $((7400 + i)) 1 || return 1
	done
	for i in $(seq 1 "$NODES"); do
		wait_line "$i" "t8_s$i" listening 60 >/dev/null || return 1
		j=$(( i % NODES + 1 ))
		spawn "$j" "t8_c$i" ms_stream source "10.77.0.$i" $((7400 + i)) || return 1
	done
	for i in $(seq 1 "$NODES"); do
		j=$(( i % NODES + 1 ))
		wait_line "$j" "t8_c$i" '^connected' 120 >/dev/null || return 1
		random_mover "$i" "$(pid_of "$i" "t8_s$i")" "$per" "m8_s$i" || return 1
		random_mover "$j" "$(pid_of "$j" "t8_c$i")" "$per" "m8_c$i" || return 1
	done
	for i in $(seq 1 "$NODES"); do
		j=$(( i % NODES + 1 ))
		for m in "$i:m8_s$i" "$j:m8_c$i"; do
			line=$(wait_line "${m%%:*}" "${m#*:}" '^moves ' $((per * 30 + 300))) || return 1
			total=$((total + $(echo "$line" | awk '{ print $2 }')))
		done
	done
	echo "    $total moves done by $((2 * NODES)) processes on $NODES nodes"
	[ "$total" -ge $((2 * NODES * per * 8 / 10)) ] || fail "only $total of $((2 * NODES * per)) moves" || return 1
	for i in $(seq 1 "$NODES"); do
		j=$(( i % NODES + 1 ))
		on "$j" "kill -USR1 $(pid_of "$j" "t8_c$i")" || return 1
		sent=$(wait_line "$j" "t8_c$i" '^ok sent|FAIL' 180) || rc=1
		got=$(wait_line "$i" "t8_s$i" '^ok received|FAIL' 180) || rc=1
		[ $rc = 0 ] || return 1
		expect_eq "stream $i bytes" "${got#ok received }" "${sent#ok sent }" || return 1
		echo "    stream $i (node $j -> node $i): ${sent#ok sent } bytes checked"
	done
	no_kernel_problem
}
