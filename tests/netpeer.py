#!/usr/bin/env python3
"""netpeer.py: the other end of streamjob's network sources and sinks, for
the tests.

  netpeer.py free-port
      print a TCP port nobody listens on (127.0.0.1)
  netpeer.py serve PORT FILE...
      listen on PORT; give the i-th connection FILE i's bytes, then close it;
      after the last file, keep the last connection open until the other
      end closes it
  netpeer.py clients PORT N LINES [WIDTH]
      N clients at once, each sending LINES lines "c<i> <k>" (padded with
      dots to WIDTH bytes) and closing
  netpeer.py slam PORT N
      accept N connections, closing each at once without a byte, then exit
  netpeer.py sink PORT OUT COUNT [STALL_AFTER STALL_SECONDS]
      take connections one after another and write what they send to OUT
      until COUNT lines have arrived; after STALL_AFTER bytes, read nothing
      for STALL_SECONDS (the sender's writes block: TCP flow control)
"""
import os
import socket
import sys
import threading
import time


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    print(port)


def serve(port, files):
    s = listener(port)
    for i, name in enumerate(files):
        conn, _ = s.accept()
        with open(name, "rb") as f:
            conn.sendall(f.read())
        if i == len(files) - 1:
            while conn.recv(65536):
                pass
        conn.close()


def clients(port, n, lines, width=0):
    def one(i):
        c = socket.create_connection(("127.0.0.1", port))
        buf = []
        for k in range(lines):
            line = "c%d %d" % (i, k)
            buf.append(line + "." * (width - 1 - len(line)) + "\n")
            if len(buf) == 1000:
                c.sendall("".join(buf).encode())
                buf = []
        c.sendall("".join(buf).encode())
        c.close()
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def slam(port, n):
    s = listener(port)
    for _ in range(n):
        conn, _ = s.accept()
        conn.close()
    s.close()


def sink(port, out, count, stall_after=-1, stall=0.0):
    s = listener(port)
    got = 0
    total = 0
    stalled = stall_after < 0
    with open(out, "wb") as f:
        while got < count:
            conn, _ = s.accept()
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            while got < count:
                data = conn.recv(65536)
                if not data:
                    break
                f.write(data)
                f.flush()
                got += data.count(b"\n")
                total += len(data)
                if not stalled and total >= stall_after:
                    stalled = True
                    time.sleep(stall)  # the stall under test, not a wait
            conn.close()


def main():
    cmd = sys.argv[1]
    if cmd == "free-port":
        free_port()
    elif cmd == "serve":
        serve(int(sys.argv[2]), sys.argv[3:])
    elif cmd == "clients":
        clients(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    elif cmd == "slam":
        slam(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "sink":
        extra = sys.argv[5:]
        sink(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
             int(extra[0]) if extra else -1, float(extra[1]) if extra else 0.0)
    else:
        sys.exit("netpeer.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
