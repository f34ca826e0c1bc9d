#!/usr/bin/python3
"""A misbehaving HTTP server for tests/integration/realcloud.sh (stdlib only).

Usage: badserver.py MODE. Binds 127.0.0.1 on a port the OS picks, prints
"port N" on stdout, then answers every POST as MODE says, one thread per
connection, until it is killed:
  throttle   429 Too Many Requests (a 429 storm), keep-alive
  auth       403 Forbidden with a SigV4-style error body (wrong credentials)
  slow       200 after 5 s (past any deadline the tests use)
  malformed  bytes that are not an HTTP answer, then close
  truncated  200 announcing 1000 body bytes, 3 sent, then close
  oversized  a body larger than 64 MB (PROVIDER_BODY_MAX): odd requests
             announce 80 MB with Content-Length, even ones send chunks with
             no length; both stream until the client hangs up (80 MB at most)
  close      close the connection without an answer
It counts requests and prints "requests N" on stderr at each one. It never
listens on anything but 127.0.0.1."""
import socket
import sys
import threading
import time

MODES = ("throttle", "auth", "slow", "malformed", "truncated", "oversized", "close")
BIG = 80 << 20
lock = threading.Lock()
count = 0


def read_request(f):
    """Reads one request (head and body) from file f; False at EOF."""
    line = f.readline()
    if not line:
        return False
    length = 0
    while True:
        h = f.readline()
        if not h or h in (b"\r\n", b"\n"):
            break
        name, _, value = h.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while length > 0:
        chunk = f.read(min(length, 65536))
        if not chunk:
            return False
        length -= len(chunk)
    return True


def stream(conn, chunked):
    block = b"x" * (1 << 20)
    sent = 0
    while sent < BIG:
        conn.sendall(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
        sent += len(block)


def serve(conn, mode):
    global count
    f = conn.makefile("rb")
    try:
        while read_request(f):
            with lock:
                count += 1
                n = count
            sys.stderr.write("requests %d\n" % n)
            sys.stderr.flush()
            if mode == "throttle":
                conn.sendall(b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n")
                continue
            if mode == "auth":
                body = (b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code>"
                        b"<Message>The request signature we calculated does not match</Message></Error></ErrorResponse>")
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                continue
            if mode == "slow":
                time.sleep(5)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                continue
            if mode == "malformed":
                conn.sendall(b"this is not HTTP at all\r\n\r\n")
            elif mode == "truncated":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc")
            elif mode == "oversized":
                if n % 2:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % BIG)
                    stream(conn, False)
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    stream(conn, True)
            break  # malformed, truncated, oversized, close: no more on this connection
    except OSError:
        pass  # the client hung up
    finally:
        f.close()
        conn.close()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        sys.stderr.write("usage: badserver.py %s\n" % "|".join(MODES))
        sys.exit(2)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    print("port %d" % s.getsockname()[1], flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, sys.argv[1]), daemon=True).start()


if __name__ == "__main__":
    main()
