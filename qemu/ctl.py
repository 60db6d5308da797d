#!/usr/bin/env python3
"""Host side of a node's command channel (see tools/cmdd/cmdd.c).

Usage: ctl.py PORT TIMEOUT COMMAND
Runs COMMAND on the node whose cmdd is forwarded to 127.0.0.1:PORT (inside
the cluster's network namespace), copies its output to stdout and exits
with its status; 124 on timeout, 125 if the node cannot be reached.
"""
import socket
import struct
import sys
import time


def main():
    port, timeout, cmd = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    deadline = time.monotonic() + timeout
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=min(timeout, 10))
    except OSError as e:
        print(f"cluster: cannot reach node on port {port}: {e}", file=sys.stderr)
        return 125
    data = cmd.encode()
    s.sendall(b"%d\n" % len(data) + data)
    buf = b""
    out = sys.stdout.buffer
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            print(f"cluster: command timed out after {timeout:g}s", file=sys.stderr)
            return 124
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except OSError as e:
            print(f"cluster: connection lost: {e}", file=sys.stderr)
            return 125
        if not chunk:
            print("cluster: node closed the channel without a status", file=sys.stderr)
            return 125
        buf += chunk
        while len(buf) >= 5:
            kind, n = buf[0:1], struct.unpack(">I", buf[1:5])[0]
            if kind == b"X":
                out.flush()
                return n if n < 256 else 255
            if kind != b"D":
                print("cluster: bad frame from node", file=sys.stderr)
                return 125
            if len(buf) < 5 + n:
                break
            out.write(buf[5:5 + n])
            out.flush()
            buf = buf[5 + n:]


if __name__ == "__main__":
    sys.exit(main())
