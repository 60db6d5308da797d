# Issue 10: only holders of the cluster key speak for the cluster.  Every
# attack here is made by an unprivileged user (runas checks it dropped
# everything) or by a node holding a different key.

# udp_drops NODE: datagrams the node's UDP layer dropped for a full buffer.
udp_drops() {
	on "$1" "awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[\$i] = i; h = 1 } else print \$c[\"RcvbufErrors\"] }' /proc/net/snmp"
}

test_sec_key_file_is_root_only_and_shows_no_key() {
	local v
	v=$(on 1 "mosctl key") || return 1
	[[ "$v" =~ ^set\ [0-9a-f]{16}$ ]] || fail "mosctl key: '$v'" || return 1
	# The same key on every node: the same fingerprint.
	expect_eq "fingerprint on node 2" "$(on 2 'mosctl key')" "$v" || return 1
	on 1 "grep -c $(cluster_key | cut -c1-16) /proc/hpc/admin/key" >/dev/null &&
		fail "the key file shows the key" && return 1
	expect_denied "unprivileged key write" 1 /proc/hpc/admin/key || return 1
	expect_fails "short key" 1 "printf 0123 > /proc/hpc/admin/key" || return 1
	expect_fails "non-hex key" 1 "printf %064d 0 | tr 0 z > /proc/hpc/admin/key" || return 1
	expect_fails "all-zero key" 1 "printf %064d 0 > /proc/hpc/admin/key" || return 1
	expect_eq "key after bad writes" "$(on 1 'mosctl key')" "$v"
}

test_sec_unprivileged_image_to_migd_refused() {
	need_nodes 2 || return 0
	local before r procs remote
	before=$(auth_stat 2 links_refused)
	procs=$(on 2 "ls -d /proc/[0-9]* | wc -l")
	remote=$(on 2 "cat /proc/hpc/remote")
	for kind in image hello; do
		r=$(on 1 "runas 65534 65534 forge_link 10.77.0.2 $kind 1 2") ||
			fail "forge_link $kind: $r" || return 1
		echo "    $r"
	done
	expect_eq "links refused on node 2" "$(auth_stat 2 links_refused)" "$((before + 2))" || return 1
	expect_eq "processes from other nodes on node 2" "$(on 2 'cat /proc/hpc/remote')" "$remote" || return 1
	on 2 "ps -o user,args | grep -v -e '^root' -e '^USER' -e nobody" | grep . &&
		fail "a process of some user appeared on node 2" && return 1
	[ "$(on 2 "ls -d /proc/[0-9]* | wc -l")" -le $((procs + 2)) ] ||
		fail "node 2 gained processes" || return 1
	# A real move still works.
	on 1 'migtest -m 2 -h 2,0' >/dev/null || fail "migration after the attack"
}

test_sec_node_with_another_key_is_refused() {
	need_nodes 3 || return 0
	local before r
	before=$(auth_stat 2 links_refused)
	on 3 "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /tmp/other.key &&
	      mosctl setkey /tmp/other.key" || return 1
	trap 'put_key 3 /proc/hpc/admin/key' RETURN
	r=$(on 3 "sleep 20 & p=\$!; migrate \$p 2 2>&1; kill \$p")
	echo "$r" | grep -q "Key was rejected" ||
		fail "move from a node with another key: '$r', want EKEYREJECTED" || return 1
	expect_eq "links refused on node 2" "$(auth_stat 2 links_refused)" "$((before + 1))" || return 1
	# Its datagrams are dropped too.
	before=$(ms_stat 2 bad_tag)
	on 3 "udpsend -k /tmp/other.key -s 3 -d 2 10.77.0.2 19791 good" || return 1
	sleep 1
	[ "$(ms_stat 2 bad_tag)" -gt "$before" ] || fail "node 2 counted no bad tag" || return 1
	put_key 3 /proc/hpc/admin/key || return 1
	trap - RETURN
	stream_works 3 2 7593
}

# Every message on a link after the handshake carries its number and a
# tag under the link's key: one with a wrong tag, or with the number of
# the message before (what a replay carries), ends the link at once and
# nothing in it is acted on.  The test knob spoils the next message sent.
test_sec_link_message_with_bad_tag_or_old_number_ends_the_link() {
	need_nodes 2 || return 0
	local pid tag seq log1 log2
	tag=$(auth_stat 2 link_bad_tag)
	seq=$(auth_stat 1 link_bad_seq)
	log1=$("$top/qemu/cluster" log 1 | wc -l)
	log2=$("$top/qemu/cluster" log 2 | wc -l)
	trap "on 1 \"echo 'tag 0' > /proc/hpc/test/link_fault\"; on 2 \"echo 'seq 0' > /proc/hpc/test/link_fault\"" RETURN
	# Home to remote: the deputy's next message (the signal, or a reply).
	pid=$(spawn_migtest 1 lf1 -m 1 -h 2 -w -t 120) || return 1
	wait_line 1 lf1 '^alive 2$' >/dev/null || return 1
	on 1 "echo 'tag 1' > /proc/hpc/test/link_fault && kill -USR1 $pid" || return 1
	wait_line 1 lf1 '^exit 137$' 30 >/dev/null || return 1
	on 1 "grep 'signal SIGUSR1' /tmp/lf1.out" && fail "the remote took a signal from a message with a bad tag" && return 1
	expect_eq "bad tags counted on node 2" "$(auth_stat 2 link_bad_tag)" "$((tag + 1))" || return 1
	"$top/qemu/cluster" log 2 | tail -n +$((log2 + 1)) |
		grep -E "link from node 1: message [0-9]+ failed its tag, ending the link" ||
		fail "node 2 did not say why it ended the link" || return 1
	# Remote to home: its next request (the "alive" line every 5 s).
	pid=$(spawn_migtest 1 lf2 -m 1 -h 2 -w -t 120) || return 1
	wait_line 1 lf2 '^alive 2$' >/dev/null || return 1
	on 2 "echo 'seq 1' > /proc/hpc/test/link_fault" || return 1
	wait_line 1 lf2 '^exit 137$' 30 >/dev/null || return 1
	expect_eq "old numbers counted on node 1" "$(auth_stat 1 link_bad_seq)" "$((seq + 1))" || return 1
	"$top/qemu/cluster" log 1 | tail -n +$((log1 + 1)) |
		grep -E "link from node 2: message [0-9]+ where [0-9]+ was due" ||
		fail "node 1 did not say why it ended the link" || return 1
	for _ in $(seq 1 40); do
		[ -z "$(guest_pid 2 1 "$pid")" ] && break
		sleep 0.5
	done
	[ -z "$(guest_pid 2 1 "$pid")" ] || fail "the remote outlived its link" || return 1
	# New links are whole.
	on 1 'migtest -m 1 -q -h 2,0' >/dev/null || fail "a move after the broken links"
}

# /proc/hpc/admin/encrypt: sealed links carry images encrypted.  A process
# holding a marker moves to node 2 while node 2 reads every frame: with
# both nodes at 0 the marker is on the wire, with either at 1 it is not.
test_sec_sealed_links_keep_images_secret() {
	need_nodes 2 || return 0
	local m="MIGSOCK-SEALED-$RANDOM-SECRET" e1 e2 out sealed was1 was2
	expect_denied "unprivileged encrypt write" 1 /proc/hpc/admin/encrypt || return 1
	expect_fails "encrypt 2" 1 "echo 2 > /proc/hpc/admin/encrypt" || return 1
	expect_fails "encrypt text" 1 "echo yes-please > /proc/hpc/admin/encrypt" || return 1
	was1=$(on 1 "cat /proc/hpc/admin/encrypt") && was2=$(on 2 "cat /proc/hpc/admin/encrypt") || return 1
	trap "on 1 'echo $was1 > /proc/hpc/admin/encrypt'; on 2 'echo $was2 > /proc/hpc/admin/encrypt'" RETURN
	for e1 in 0 1; do
		for e2 in 0 1; do
			on 1 "echo $e1 > /proc/hpc/admin/encrypt" && on 2 "echo $e2 > /proc/hpc/admin/encrypt" || return 1
			sealed=$(auth_stat 2 links_sealed)
			spawn 2 "wp$e1$e2" wire_peek sniff "$m" 10 || return 1
			wait_line 2 "wp$e1$e2" '^sniffing$' 20 >/dev/null || return 1
			out=$(on 1 "runas 65534 65534 wire_peek hold $m 2" 2>&1)
			expect_eq "move with encrypt $e1 (node 1) $e2 (node 2)" "$out" moved || return 1
			out=$(wait_line 2 "wp$e1$e2" '^frames ' 30) || return 1
			echo "    encrypt $e1/$e2: $out"
			[ "$(echo "$out" | awk '{ print $4 }')" -gt 1000000 ] ||
				fail "the sniffer saw less than the 1 MiB image" || return 1
			if [ "$e1$e2" = 00 ]; then
				[ "$(echo "$out" | awk '{ print $6 }')" -gt 0 ] ||
					fail "plain link: no marker on the wire (the sniffer is blind)" || return 1
				expect_eq "sealed links on node 2" "$(auth_stat 2 links_sealed)" "$sealed" || return 1
			else
				expect_eq "frames with the marker" "$(echo "$out" | awk '{ print $6 }')" 0 || return 1
				[ "$(auth_stat 2 links_sealed)" -gt "$sealed" ] ||
					fail "node 2 counted no sealed link" || return 1
			fi
		done
	done
}

# An unprivileged user on node 1 forges segments, with the names of the
# live connection between nodes 2 and 3 read from /proc/hpc/migsock/sockets,
# against node 2 for 10 s: every datagram is dropped, the stream is exact.
test_sec_forged_segments_against_live_stream() {
	need_nodes 3 || return 0
	local names before_tag before_acc sent got r
	spawn 2 sf_s ms_stream sink 7594 1 || return 1
	wait_line 2 sf_s listening 30 >/dev/null || return 1
	spawn 3 sf_c ms_stream source 10.77.0.2 7594 || return 1
	wait_line 3 sf_c '^connected' 60 >/dev/null || return 1
	names=$(on 2 "runas 65534 65534 awk 'NR > 1 && \$2 == \"ESTABLISHED\" { printf \"%s%s:%s:%s:%s\", s, \$3, \$4, \$5, \$7; s = \",\" }' /proc/hpc/migsock/sockets")
	[ -n "$names" ] || fail "no connection on node 2" || return 1
	before_tag=$(( $(ms_stat 2 bad_tag) + $(ms_stat 2 bad_header) + $(udp_drops 2) ))
	r=$(TIMEOUT=90 on 1 "runas 65534 65534 net_fuzz mtcp 10.77.0.2 -t 10 -c $names") ||
		fail "net_fuzz: $r" || return 1
	echo "    $r"
	sent=$(echo "$r" | awk '{ print $5 }')
	# Each is dropped as too short for a trailer, for its tag, or (sent
	# faster than the receive thread reads) by UDP for a full buffer.
	[ "$(( $(ms_stat 2 bad_tag) + $(ms_stat 2 bad_header) + $(udp_drops 2) - before_tag ))" -ge "$sent" ] ||
		fail "node 2 dropped fewer datagrams than the $sent sent" || return 1
	on 3 "kill -USR1 \$(awk '/^pid/ { print \$2 }' /tmp/sf_c.out)" || return 1
	sent=$(wait_line 3 sf_c '^ok sent|FAIL' 120) || return 1
	got=$(wait_line 2 sf_s '^ok received|FAIL' 120) || return 1
	expect_eq "bytes of the stream" "${got#ok received }" "${sent#ok sent }" || return 1
	echo "    ${sent#ok sent } bytes exact"
}

# Datagrams of a live stream, captured on the wire (by root on the sending
# node: no one else can) and sent again: all dropped as replays.
test_sec_replayed_datagrams_dropped() {
	need_nodes 3 || return 0
	local before r n got drops
	spawn 2 rp_s ms_stream sink 7595 1 || return 1
	wait_line 2 rp_s listening 30 >/dev/null || return 1
	spawn 3 rp_c ms_stream source 10.77.0.2 7595 || return 1
	wait_line 3 rp_c '^connected' 60 >/dev/null || return 1
	before=$(ms_stat 2 replayed)
	drops=$(udp_drops 2)
	r=$(TIMEOUT=60 on 3 "replay_dgrams 10.77.0.2 200") || fail "replay: $r" || return 1
	echo "    $r"
	n=$(echo "$r" | awk '{ print $2 }')
	sleep 1
	# A burst of 200 next to a stream may overflow the UDP socket's buffer:
	# those never reach migsock.  Every other one is refused as a replay.
	got=$(( $(ms_stat 2 replayed) - before ))
	drops=$(( $(udp_drops 2) - drops ))
	[ "$drops" = 0 ] || echo "    $drops datagrams dropped by UDP (buffer full)"
	[ $((got + drops)) -ge "$n" ] && [ "$got" -ge $((n / 2)) ] ||
		fail "node 2 counted $got replays of $n ($drops dropped by UDP)" || return 1
	on 3 "kill -USR1 \$(awk '/^pid/ { print \$2 }' /tmp/rp_c.out)" || return 1
	sent=$(wait_line 3 rp_c '^ok sent|FAIL' 120) || return 1
	got=$(wait_line 2 rp_s '^ok received|FAIL' 120) || return 1
	expect_eq "bytes of the stream" "${got#ok received }" "${sent#ok sent }"
}

# recv(MSG_TRUNC) through a socket proxy: the datagram's full length, and
# no byte but the datagram's reaches the caller.
test_sec_proxied_recv_msg_trunc() {
	need_nodes 2 || return 0
	local r
	r=$(on 1 "trunc_recv 2") || fail "$r" || return 1
	echo "    $r"
}

# A child sharing a remote's link (after fork) is killed while the deputy
# is still in its read: that late answer must not be taken for the
# parent's next request.
test_sec_proxy_replies_matched_by_id() {
	need_nodes 2 || return 0
	local r
	r=$(TIMEOUT=60 on 1 "proxy_fork 2") || fail "$r" || return 1
	echo "    $r"
}

test_sec_test_knobs_refuse_unprivileged_users() {
	local f
	for f in /proc/hpc/migsock/fault /proc/hpc/migsock/metasock /proc/hpc/admin/key \
		/proc/hpc/admin/mospe /proc/hpc/admin/map; do
		expect_denied "unprivileged write to $f" 1 "$f" || return 1
	done
	# Nothing changed: the node keeps its number, map and key.
	expect_eq "mospe" "$(on 1 'cat /proc/hpc/admin/mospe')" 1 || return 1
	expect_eq "key" "$(on 1 'mosctl key')" "$(on 2 'mosctl key')"
}

# A move never sheds what confines a process: the process on the target is
# made with init's root, namespaces and no seccomp filter, so a confined
# process stays (EPERM); no_new_privs is carried.
test_sec_move_carries_no_new_privs() {
	need_nodes 2 || return 0
	local out
	out=$(on 1 "runas 65534 65534 sh -c 'id -u; confined_move nnp 2'" 2>&1)
	expect_eq "uid of the mover" "$(printf '%s\n' "$out" | head -n 1)" 65534 || return 1
	expect_eq "no_new_privs on node 2" "$(printf '%s\n' "$out" | tail -n 1)" "where 2 nnp 1"
}

test_sec_chrooted_process_cannot_move_out_of_its_jail() {
	need_nodes 2 || return 0
	local out
	on 1 "mkdir -p /tmp/jail" || return 1
	out=$(on 1 "confined_move chroot /tmp/jail 2" 2>&1)
	on 1 "umount /tmp/jail/proc" 2>/dev/null
	expect_eq "a chrooted move" "$out" "ok EPERM where 0" || return 1
	"$top/qemu/cluster" log 1 | grep -q 'confined by a root directory of its own (chroot)' ||
		fail "node 1 did not say why the process stayed"
}

# A process in a user namespace of its own (unshare -Ur, run by uid
# 1000) or under a seccomp filter would shed that confinement on the
# target, whose processes are made with init's: it stays (EPERM), and the
# log says why.  The same program unconfined moves.
test_sec_user_namespace_and_seccomp_keep_a_process_home() {
	need_nodes 2 || return 0
	local out log1
	log1=$("$top/qemu/cluster" log 1 | wc -l)
	out=$(on 1 "runas 1000 1000 sh -c 'id -u; unshare -Ur confined_move try 2'" 2>&1)
	expect_eq "uid of the caller" "$(echo "$out" | head -n 1)" 1000 || return 1
	expect_eq "a move from a user namespace" "$(echo "$out" | tail -n 1)" "goto EPERM where 0 uid 0" || return 1
	out=$(on 1 "runas 1000 1000 sh -c 'id -u; confined_move seccomp 2'" 2>&1)
	expect_eq "uid of the caller" "$(echo "$out" | head -n 1)" 1000 || return 1
	expect_eq "a move under a seccomp filter" "$(echo "$out" | tail -n 1)" "goto EPERM where 0 uid 1000" || return 1
	for why in "a user namespace" "a seccomp filter"; do
		"$top/qemu/cluster" log 1 | tail -n +$((log1 + 1)) |
			grep -q "stays: it is confined by $why, which a move cannot carry" ||
			fail "node 1 did not say the process is confined by $why" || return 1
	done
	out=$(on 1 "runas 1000 1000 confined_move try 2" 2>&1)
	expect_eq "the same move unconfined" "$out" "goto ok where 2 uid 1000"
}

# An LSM label is not in the image: the target's process would take the
# kernel's own.  The debug kernel has Smack (configs/checkers/lsm.config);
# one process gets a label of its own (a rule lets it use the floor's
# files and pipes) and its move is refused.  Every other test runs with
# the floor label "_", which is the kernel's, and moves.
test_sec_lsm_labelled_process_stays() {
	need_nodes 2 || return 0
	local out log1
	on 1 "[ -e /proc/self/attr/smack/current ]" ||
		fail "no Smack in this kernel: the debug kernel has configs/checkers/lsm.config" || return 1
	on 1 "grep -q ' /sys/fs/smackfs ' /proc/mounts || mount -t smackfs smackfs /sys/fs/smackfs" || return 1
	on 1 "echo 'mslabel _ rwxa' > /sys/fs/smackfs/load2" || return 1
	log1=$("$top/qemu/cluster" log 1 | wc -l)
	out=$(on 1 "sh -c 'echo -n mslabel > /proc/self/attr/smack/current &&
		cat /proc/self/attr/smack/current; echo; exec confined_move try 2'" 2>&1)
	echo "$out" | sed 's/^/    /'
	expect_eq "the mover's label" "$(echo "$out" | head -n 1)" mslabel || return 1
	expect_eq "a move with a label of its own" "$(echo "$out" | tail -n 1)" "goto EPERM where 0 uid 0" || return 1
	"$top/qemu/cluster" log 1 | tail -n +$((log1 + 1)) |
		grep -q "stays: it is confined by an LSM label of its own, which a move cannot carry" ||
		fail "node 1 did not say the process is confined by its label" || return 1
	out=$(on 1 "sh -c 'cat /proc/self/attr/smack/current; echo; exec confined_move try 2'" 2>&1)
	expect_eq "the same move with the floor label" "$(echo "$out" | tr '\n' ';')" "_;goto ok where 2 uid 0;"
}

# Supplementary groups travel: the moved process has the groups it had,
# no more (it had none on the target before) and no fewer.
test_sec_supplementary_groups_travel() {
	need_nodes 2 || return 0
	local out
	out=$(on 1 "runas -g 300,100,200 65534 65534 sh -c 'id -u; file_move 2 0'" 2>&1)
	echo "$out" | sed 's/^/    /'
	expect_eq "the mover's uid" "$(echo "$out" | head -n 1)" 65534 || return 1
	expect_eq "groups at home, on node 2, home again" \
		"$(echo "$out" | grep -E '^where|^goto' | tr '\n' ';')" \
		"where 0 groups 100,200,300 map -;goto 2: ok;where 2 groups 100,200,300 map -;goto 0: ok;where 0 groups 100,200,300 map -;"
}

# The target opens the files of an image as the process, with no symlink
# followed at the end of the path, and maps them only if they are the
# files the process had (owner, mode, size, mtime).  As root it followed a
# symlink another user planted at the path, to a file only root may read,
# and mapped that into the process.
test_sec_planted_file_on_the_target_refused() {
	need_nodes 2 || return 0
	local out n log2 d=/tmp/fmdir when="2024-01-02 03:04:05"
	log2=$("$top/qemu/cluster" log 2 | wc -l)
	# A directory anyone may write in (as /tmp on most machines), with
	# the process's files in it on both nodes: same owner, mode, size, time.
	for n in 1 2; do
		on $n "rm -rf $d && mkdir -m 1777 $d && printf 'ours\n' > $d/legit &&
			chown 65534:65534 $d/legit && chmod 644 $d/legit && touch -d '$when' $d/legit" || return 1
	done
	on 1 "cp -p $d/legit $d/link && cp -p $d/legit $d/same" || return 1
	# On node 2, user 1000 plants a symlink to a root-only secret, and a
	# file of its own with the size, mode and time of the process's.
	on 2 "printf 'SECRET\n' > /tmp/fm_secret && chmod 600 /tmp/fm_secret" || return 1
	on 2 "runas 1000 1000 sh -c 'id -u && ln -s /tmp/fm_secret $d/link && printf evil\\\\n > $d/same && touch -d \"$when\" $d/same'" |
		grep -qx 1000 || fail "planting as uid 1000" || return 1
	on 2 "[ -L $d/link ] && [ \$(stat -c %u:%s $d/same) = 1000:5 ]" || fail "nothing planted" || return 1
	out=$(on 1 "runas 65534 65534 file_move -m $d/legit 2 0" 2>&1)
	expect_eq "the same file on both nodes" "$(echo "$out" | grep -E '^where|^goto' | tr '\n' ';')" \
		"where 0 groups - map ours;goto 2: ok;where 2 groups - map ours;goto 0: ok;where 0 groups - map ours;" || return 1
	out=$(on 1 "runas 65534 65534 file_move -m $d/link 2" 2>&1)
	echo "    a symlink to a root-only file: $(echo "$out" | grep '^goto')"
	expect_eq "a planted symlink" "$(echo "$out" | grep -E '^where|^goto' | tr '\n' ';')" \
		"where 0 groups - map ours;goto 2: ELOOP;where 0 groups - map ours;" || return 1
	out=$(on 1 "runas 65534 65534 file_move -m $d/same 2" 2>&1)
	echo "    another user's file of the same size and time: $(echo "$out" | grep '^goto')"
	expect_eq "a planted file" "$(echo "$out" | grep -E '^where|^goto' | tr '\n' ';')" \
		"where 0 groups - map ours;goto 2: ESTALE;where 0 groups - map ours;" || return 1
	"$top/qemu/cluster" log 2 | tail -n +$((log2 + 1)) | grep -q "$d/same here is not the file the process had" ||
		fail "node 2 did not say why it refused the file" || return 1
	on 2 "rm -rf $d /tmp/fm_secret"
	on 1 "rm -rf $d"
	no_kernel_problem
}

# An unprivileged user opening migsock connections in a loop meets a bound
# of its own: its process's RLIMIT_NOFILE (descriptor numbers, EBADF as for
# dup2), then 1024 sockets per user and node (ENOBUFS).  The node keeps its
# memory (1024 connections take about 135 MiB: MemAvailable may fall by at
# most 180 MiB) and another user's stream on the same node runs meanwhile.
test_sec_unprivileged_socket_loop_is_bounded() {
	need_nodes 3 || return 0
	local r before during refused
	# Root servers on node 2 accept whatever comes (their side is root's).
	spawn 2 ub_s1 ms_limits server 7410 40 1 600 || return 1
	spawn 2 ub_s2 "ulimit -n 2048; ms_limits server 7411 1024 1 600" || return 1
	wait_line 2 ub_s1 listening 30 >/dev/null && wait_line 2 ub_s2 listening 30 >/dev/null || return 1
	# A process allowed 32 descriptors holds connections on 1..31.
	spawn 1 ub_p "ulimit -n 32; runas 65534 65534 ms_limits hog 10.77.0.2 7410 1000"
	r=$(wait_line 1 ub_p '^held ' 120) || return 1
	on 1 "grep -q '^pid [0-9]* uid 65534$' /tmp/ub_p.out" || fail "the hog did not run as uid 65534" || return 1
	expect_eq "a process with RLIMIT_NOFILE 32" "$r" "held 31: errno 9 (Bad file descriptor)" || return 1
	on 1 "kill \$(awk '/^pid/ { print \$2 }' /tmp/ub_p.out)"
	wait_line 1 ub_p '^exit ' 30 >/dev/null || return 1
	# With descriptors to spare, the user's bound: 1024 sockets.
	before=$(mem_available 1)
	refused=$(ms_stat 1 user_limit_refused)
	spawn 1 ub_u "ulimit -n 4096; runas 65534 65534 ms_limits hog 10.77.0.2 7411 4000"
	r=$(wait_line 1 ub_u '^held ' 300) || return 1
	on 1 "grep -q '^pid [0-9]* uid 65534$' /tmp/ub_u.out" || fail "the hog did not run as uid 65534" || return 1
	expect_eq "an unprivileged user" "$r" "held 1024: errno 105 (No buffer space available)" || return 1
	expect_eq "refusals counted" "$(ms_stat 1 user_limit_refused)" $((refused + 1)) || return 1
	during=$(mem_available 1)
	echo "    MemAvailable on node 1: $((before / 1024)) MiB before, $((during / 1024)) MiB with 1024 connections held"
	[ $((before - during)) -lt $((180 * 1024)) ] || fail "the node lost $(((before - during) / 1024)) MiB" || return 1
	# Another user of the same node still gets connections, and its stream
	# arrives whole.
	spawn 3 ub_o ms_stream server 7412 262144 || return 1
	wait_line 3 ub_o listening 20 >/dev/null || return 1
	r=$(on 1 "runas 1000 1000 ms_stream client 10.77.0.3 7412 262144") || fail "uid 1000 beside the hog: $r" || return 1
	wait_line 3 ub_o '^exit 0' 30 >/dev/null || return 1
	on 1 "kill \$(awk '/^pid/ { print \$2 }' /tmp/ub_u.out)"
	wait_line 1 ub_u '^exit ' 30 >/dev/null || return 1
	on 2 "kill \$(awk '/^pid/ { print \$2 }' /tmp/ub_s1.out) \$(awk '/^pid/ { print \$2 }' /tmp/ub_s2.out)"
	# Everything is given back.
	nothing_left 1 90 && nothing_left 2 90 || return 1
	expect_eq "counted sockets on node 1" "$(ms_stat 1 user_socks)" 0
}

# A send whose user buffer faults slowly (userfaultfd: the first fault is
# served after 25 s) holds no lock the node's receive and timer threads
# need: while it is stuck, with its peer's segments arriving, another
# stream of the same node runs as fast as alone.
test_sec_slow_user_buffer_stalls_no_one_else() {
	need_nodes 2 || return 0
	local start alone beside
	spawn 2 sf_o1 ms_stream server 7521 2097152 || return 1
	wait_line 2 sf_o1 listening 20 >/dev/null || return 1
	start=$SECONDS
	on 1 "ms_stream client 10.77.0.2 7521 2097152" >/dev/null || fail "the stream alone" || return 1
	alone=$((SECONDS - start))
	spawn 1 sf slow_fault 7520 25 || return 1
	wait_line 1 sf '^listening' 20 >/dev/null || return 1
	spawn 2 sf_src ms_stream source 10.77.0.1 7520 || return 1
	wait_line 1 sf '^sending' 30 >/dev/null || return 1
	sleep 2
	spawn 2 sf_o2 ms_stream server 7522 2097152 || return 1
	wait_line 2 sf_o2 listening 20 >/dev/null || return 1
	start=$SECONDS
	on 1 "ms_stream client 10.77.0.2 7522 2097152" >/dev/null || fail "the stream beside the stuck send" || return 1
	beside=$((SECONDS - start))
	echo "    2 MiB stream: ${alone} s alone, ${beside} s beside a send stuck in a page fault"
	on 1 "grep -q '^ok sent' /tmp/sf.out" && fail "the send was not stuck while the stream ran" && return 1
	[ "$beside" -le $((alone + 8)) ] || fail "the stream waited for the stuck send" || return 1
	wait_line 1 sf '^ok sent 65536' 60 >/dev/null || return 1
	on 1 "killall slow_fault"
	on 2 "kill \$(awk '/^pid/ { print \$2 }' /tmp/sf_src.out)" 2>/dev/null
	wait_line 2 sf_src '^exit ' 60 >/dev/null
	wait_line 1 sf '^exit ' 30 >/dev/null
}
