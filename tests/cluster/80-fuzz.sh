# Fuzzers in the cluster, short runs (make fuzz runs them long:
# tests/fuzz-cluster).  Each prints its seed; FUZZ_SECS scales them.
#   - ms_fuzz: sys_migsock and IPPROTO_MTCP sockets with real state (listeners, connections across
#     two nodes, data in flight, the process moved between three nodes in
#     the middle of its calls) and random arguments, as root and as nobody;
#   - trinity (Debian's) as nobody, aimed at the /proc/hpc files;
#   - net_fuzz: mutated MTCP segments, hpc link messages and metasocket
#     messages sent from node 1 to node 2 next to a live connection.
# After each, the nodes still work (a checked stream), nothing is left and
# the consoles are clean.
#
# One by hand: NODES=3 bash -c 'source tests/lib.sh; source tests/cluster/80-fuzz.sh; test_fuzz_migsock_root'

fuzz_secs() { echo "${FUZZ_SECS:-20}"; }
fuzz_seed() { echo "${FUZZ_SEED:-$(( $(date +%s) % 100000 ))}"; }

# sockets_settle: every node's sockets_live back to 0 within 120 s (orphans
# in FIN_WAIT_2 and TIME_WAIT finish).
sockets_settle() {
	local n i live
	for n in $(seq 1 "$NODES"); do
		for i in $(seq 1 120); do
			live=$(ms_stat "$n" sockets_live)
			[ "$live" = 0 ] && break
			sleep 1
		done
		if [ "$live" != 0 ]; then
			on "$n" cat /proc/hpc/migsock/sockets | head -n 20 | sed 's/^/    /' >&2
			fail "node $n: $live socket objects alive after fuzzing"
			return 1
		fi
	done
}

# fuzz_pair AS PORT: ms_fuzz on nodes 1 and 2, each the other's peer, both
# moved among nodes 1-3; AS is "" (root) or a runas prefix.
fuzz_pair() {
	local as=$1 port=$2 seed secs n1 n2
	seed=$(fuzz_seed)
	secs=$(fuzz_secs)
	spawn 1 fz1 "$as ms_fuzz -f ${as:+-u} -s $seed -t $secs -n 1000000 -P $port -p 10.77.0.2 -m 1,2,3,0" || return 1
	spawn 2 fz2 "$as ms_fuzz -f ${as:+-u} -s $((seed + 1)) -t $secs -n 1000000 -P $port -p 10.77.0.1 -m 2,3,1,0" || return 1
	n1=$(wait_line 1 fz1 '^exit ' $((secs + 120))) || return 1
	n2=$(wait_line 2 fz2 '^exit ' $((secs + 120))) || return 1
	on 1 "cat /tmp/fz1.out" | grep -E '^ms_fuzz|FAIL' | head -n 25 | sed 's/^/    node 1: /'
	on 2 "cat /tmp/fz2.out" | grep -E '^ms_fuzz|FAIL' | head -n 25 | sed 's/^/    node 2: /'
	expect_eq "ms_fuzz on node 1 (seed $seed)" "$n1" "exit 0" || return 1
	expect_eq "ms_fuzz on node 2 (seed $((seed + 1)))" "$n2" "exit 0" || return 1
	on 1 "grep -q 'calls in' /tmp/fz1.out" || fail "ms_fuzz printed no totals" || return 1
	sockets_settle || return 1
	stream_works 1 2 6390 || return 1
	no_kernel_problem
}

test_fuzz_migsock_root() {
	need_nodes 3 || return 0
	fuzz_pair "" 6200
}

test_fuzz_migsock_unprivileged() {
	need_nodes 3 || return 0
	# ms_fuzz -u checks it has uid 65534 and no capabilities, that the
	# syscall answers it and that the root-only /proc/hpc files refuse it.
	fuzz_pair "runas 65534 65534" 6210 || return 1
	on 1 "grep -q 'unprivileged: uid 65534' /tmp/fz1.out" ||
		fail "ms_fuzz did not run unprivileged"
}

test_fuzz_trinity_on_proc_hpc() {
	need_nodes 1 || return 0
	local seed out n=$(( $(fuzz_secs) * 100 ))
	seed=$(fuzz_seed)
	# trinity as nobody: file-descriptor calls on the /proc/hpc files (its
	# victim path) and on everything it opens itself; bounded by count.
	# Its own test files would fill the node's tmpfs (the OOM killer ended
	# it): no testfile or memfd descriptors, files at most 8 MiB.
	out=$(TIMEOUT=$(( $(fuzz_secs) * 9 + 120 )) on 3 "mkdir -p /tmp/trinity && chmod 777 /tmp/trinity && cd /tmp/trinity &&
		runas 65534 65534 sh -c 'id -u; ulimit -f 8192; timeout $(( $(fuzz_secs) * 9 )) trinity -q -a 64 -s $seed -C 2 -N $n --disable-fds=sockets,perf,drm,testfile,memfd -V /proc/hpc -c read -c write -c pread64 -c pwrite64 -c lseek -c ioctl -c poll -c newfstat -c readv -c writev -c fcntl > /tmp/trinity/log 2>&1; echo trinity-exit \$?; grep -iE \"ran [0-9]+ syscalls|syscalls\" /tmp/trinity/log | tail -n 3'" 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | head -n 1 | grep -qx 65534 || fail "trinity did not run as uid 65534" || return 1
	echo "$out" | grep -Eq 'trinity-exit (0|124)' ||
		{ on 3 "tail -n 20 /tmp/trinity/log" | sed 's/^/    /'; fail "trinity failed (seed $seed)"; } || return 1
	echo "$out" | grep -Eiq 'ran [0-9]+ syscalls' ||
		{ on 3 "tail -n 20 /tmp/trinity/log" | sed 's/^/    /'; fail "trinity ran no syscalls"; } || return 1
	on 3 "cat /proc/hpc/admin/mospe" | grep -qx 3 || fail "node 3 lost its number" || return 1
	no_kernel_problem
}

test_fuzz_network_mtcp_hpc_metasock() {
	need_nodes 3 || return 0
	local seed secs names sent got r n mode cmd extra isize accepted enc
	seed=$(fuzz_seed)
	secs=$(fuzz_secs)
	# A live connection on node 2 (server, home 2) from node 3 the whole time.
	spawn 2 nf_s ms_stream sink 6300 1 || return 1
	wait_line 2 nf_s 'listening' 20 >/dev/null || return 1
	spawn 3 nf_c ms_stream source 10.77.0.2 6300 || return 1
	wait_line 3 nf_c '^connected' 20 >/dev/null || return 1
	names=$(on 2 "awk 'NR > 1 && \$2 == \"ESTABLISHED\" { printf \"%s%s:%s:%s:%s\", s, \$3, \$4, \$5, \$7; s = \",\" }' /proc/hpc/migsock/sockets")
	# Without the key (an unprivileged user of node 1: the tag check drops
	# everything), then sealed with it (root of node 2, to itself: the
	# parser and routing behind the check).
	# hpc with the key: root of node 1 makes the handshake and sends tagged
	# images and image messages (node 2 unsealed for it: the fuzzer does
	# not encrypt), so the parsers behind the link's tags are reached.
	put_key 2 /tmp/cluster.key || return 1
	put_key 1 /tmp/cluster.key || return 1
	isize=$("$top/qemu/cluster" log 2 | sed -n 's/.*migd listening .*image header \([0-9]*\) bytes.*/\1/p' | tail -n 1)
	[ -n "$isize" ] || fail "node 2 did not log its image header size" || return 1
	accepted=$(auth_stat 2 links_accepted)
	enc=$(on 2 "cat /proc/hpc/admin/encrypt") || return 1
	on 2 "echo 0 > /proc/hpc/admin/encrypt" || return 1
	for mode in "1:runas 65534 65534 net_fuzz mtcp:" "1:net_fuzz hpc:" \
		"1:net_fuzz hpc:-k /tmp/cluster.key -S 1 -D 2 -I $isize" \
		"2:net_fuzz mtcp:-k /tmp/cluster.key -S 2 -D 2"; do
		IFS=: read -r n cmd extra <<< "$mode"
		r=$(TIMEOUT=$((secs + 60)) on "$n" "$cmd 10.77.0.2 -s $seed -t $secs ${names:+-c $names} $extra") ||
			fail "$cmd $extra (seed $seed): $r" || return 1
		echo "    node $n${extra:+ (keyed)}: $r"
	done
	on 2 "echo $enc > /proc/hpc/admin/encrypt" || return 1
	on 1 "rm -f /tmp/cluster.key"
	on 2 "rm -f /tmp/cluster.key"
	n=$(( $(auth_stat 2 links_accepted) - accepted ))
	echo "    node 2: $n fuzzing links past the handshake, $(auth_stat 2 link_bad_tag) bad tags, $(auth_stat 2 link_bad_seq) bad numbers"
	[ "$n" -gt 0 ] || fail "the keyed hpc fuzzer never got past the handshake" || return 1
	r=$(TIMEOUT=$((secs + 120)) on 1 "net_fuzz meta 2 -s $seed -t $secs -n 300") ||
		fail "net_fuzz meta (seed $seed): $r" || return 1
	echo "    $r"
	# The live connection was attacked with the key (node 2 to itself): it
	# may have been reset, never may the node suffer.  End it either way.
	on 3 "kill -USR1 \$(awk '/^pid/ { print \$2 }' /tmp/nf_c.out)" 2>/dev/null
	wait_line 3 nf_c '^exit ' 60 >/dev/null || return 1
	on 2 "kill \$(awk '/^pid/ { print \$2 }' /tmp/nf_s.out)" 2>/dev/null
	wait_line 2 nf_s '^exit ' 60 >/dev/null || return 1
	echo "    node 2: $(on 2 "grep -E '^(bad_header|bad_checksum|bad_tag|replayed|accepted|metasock_bad) ' /proc/hpc/migsock/stats" | tr '\n' ' ')"
	# Migrations still work to and from the fuzzed node, and so do streams.
	on 1 'migtest -m 4 -h 2,0' >/dev/null || fail "migration to node 2 after fuzzing" || return 1
	stream_works 1 2 6391 || return 1
	stream_works 2 3 6392 || return 1
	sockets_settle || return 1
	no_kernel_problem
}
