#!/usr/bin/python3
"""A misbehaving Redis (RESP) server for tests/integration/stores.sh (stdlib only).

Usage: fake_resp.py MODE. Binds 127.0.0.1 on a port the OS picks, prints
"port N" on stdout, then answers each connection as MODE says, one thread
per connection, until it is killed:
  silent     accept, read, never answer (past any deadline)
  garbage    answer bytes that are not RESP ("hello there"), keep open
  truncated  answer a bulk string announcing 100 bytes, send 3, then close
  error      answer every command with -ERR boom
  wrongtype  answer every command with :5 (an integer where GET wants a bulk)
  close      close the connection without an answer once a command arrives
  hugearray  answer an array announcing 333333330 elements, then a few
  flood      answer a bulk string announcing 2000000000 bytes, then send
             bytes until the client closes the connection
It never listens on anything but 127.0.0.1."""
import socket
import sys
import threading

MODES = ("silent", "garbage", "truncated", "error", "wrongtype", "close", "hugearray", "flood")


def serve(conn, mode):
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            if mode == "silent":
                continue
            if mode == "close":
                return
            if mode == "garbage":
                conn.sendall(b"hello there\r\n")
            elif mode == "truncated":
                conn.sendall(b"$100\r\nabc")
                conn.shutdown(socket.SHUT_RDWR)
                return
            elif mode == "error":
                conn.sendall(b"-ERR boom\r\n")
            elif mode == "wrongtype":
                conn.sendall(b":5\r\n")
            elif mode == "hugearray":
                conn.sendall(b"*333333330\r\n:1\r\n:2\r\n")
            elif mode == "flood":
                block = b"x" * 65536
                try:
                    conn.sendall(b"$2000000000\r\n")
                    while True:
                        conn.sendall(block)
                except OSError:
                    return


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        sys.exit("usage: fake_resp.py " + "|".join(MODES))
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    print("port", s.getsockname()[1], flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, sys.argv[1]), daemon=True).start()


main()
