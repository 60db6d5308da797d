#!/bin/sh
# On a node: migration time of a process of N MiB to node $2 and back,
# timed at home by the writer of the goto (it returns once the target
# runs the process).  Prints "MiB out_ms back_ms" per run.
mib=$1 target=$2 runs=${3:-5}
migtest -m "$mib" -w -t 600 > /tmp/mt.$mib.out 2>&1 &
pid=$!
while ! grep -q '^alive 0' /tmp/mt.$mib.out 2>/dev/null; do sleep 0.2; done
ms() { cut -d' ' -f1 /proc/uptime | tr -d .; }
for r in $(seq 1 "$runs"); do
	t0=$(ms); migrate -n "$pid" "$target" || exit 1; t1=$(ms)
	migrate -n "$pid" home || exit 1; t2=$(ms)
	echo "$mib $(( (t1 - t0) * 10 )) $(( (t2 - t1) * 10 ))"
done
kill -USR2 "$pid"
