#!/usr/bin/python3
"""A misbehaving object store for tests/integration/stores_http.sh (stdlib only).

Usage: badstore.py MODE. Binds 127.0.0.1 on a port the OS picks, prints
"port N" on stdout, then answers every GET, PUT and DELETE (S3 and Azure
paths alike) as MODE says, one thread per connection, until it is killed:
  auth        403 with an S3 XML error body (SignatureDoesNotMatch)
  error500    500 with an XML error body (InternalError)
  error503    503 with an XML error body (SlowDown / ServerBusy)
  garbage500  500 with a body that is no XML at all
  slow        200 after 5 s (past any deadline the tests use)
  truncated   200 announcing 1000 body bytes, 3 sent, then close
  badetag     200 with a 5-byte body whose ETag and Content-MD5 name other bytes
  badlist     200 with a body that is no listing (for a list)
  sigv4       an S3 that checks SigV4 the way AWS documents it, with the
              canonical URI and query taken as sent (no decoding), for key
              id AKIDBADSTORE and secret "badstore-secret": keeps objects in
              memory (put, get, delete; 403 SignatureDoesNotMatch on a bad
              signature); moto re-quotes the URL before it checks, so keys
              with '+', '%', '!' or non-ASCII bytes are checked here.
Prints "requests N" on stderr at each request. Never listens on anything
but 127.0.0.1."""
import hashlib
import hmac
import socket
import sys
import threading
import time

MODES = ("auth", "error500", "error503", "garbage500", "slow", "truncated", "badetag", "badlist", "sigv4")
KEY_ID, SECRET = "AKIDBADSTORE", "badstore-secret"
lock = threading.Lock()
count = 0
objects = {}


def read_request(f):
    """One request from file f: (method, target, headers, body), or None at EOF."""
    line = f.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers = {}
    while True:
        h = f.readline()
        if not h or h in (b"\r\n", b"\n"):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = f.read(length) if length else b""
    return method, target, headers, body


def answer(conn, status, body=b"", extra=""):
    head = "HTTP/1.1 %s\r\nContent-Length: %d\r\nContent-Type: application/xml\r\n%s\r\n" % (status, len(body), extra)
    conn.sendall(head.encode() + body)


def xml_error(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>'
            % (code, message)).encode()


def sigv4_ok(method, target, headers):
    """The request's signature, checked as AWS documents it for S3."""
    auth = headers.get("authorization", "")
    try:
        cred = auth.split("Credential=")[1].split(",")[0]
        signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
        sig = auth.split("Signature=")[1].split(",")[0].strip()
        key_id, day, region, service, _ = cred.split("/")
    except (IndexError, ValueError):
        return False
    path, _, query = target.partition("?")
    pairs = sorted(p.partition("=")[::2] for p in query.split("&") if p)
    cq = "&".join("%s=%s" % kv for kv in pairs)
    ch = "".join("%s:%s\n" % (h, " ".join(headers.get(h, "").split())) for h in signed)
    creq = "\n".join([method, path, cq, ch, ";".join(signed), headers.get("x-amz-content-sha256", "")])
    scope = "%s/%s/%s/aws4_request" % (day, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", headers.get("x-amz-date", ""), scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + SECRET).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return key_id == KEY_ID and hmac.compare_digest(want, sig)


def sigv4(conn, method, target, headers, body):
    if not sigv4_ok(method, target, headers):
        answer(conn, "403 Forbidden", xml_error("SignatureDoesNotMatch", "bad signature"))
        return
    path = target.partition("?")[0]
    with lock:
        if method == "PUT":
            objects[path] = body
            answer(conn, "200 OK", extra='ETag: "%s"\r\n' % hashlib.md5(body).hexdigest())
        elif method == "GET" and path in objects:
            b = objects[path]
            answer(conn, "200 OK", b, 'ETag: "%s"\r\n' % hashlib.md5(b).hexdigest())
        elif method == "DELETE":
            objects.pop(path, None)
            answer(conn, "204 No Content")
        else:
            answer(conn, "404 Not Found", xml_error("NoSuchKey", "The specified key does not exist."))


def serve(conn, mode):
    global count
    f = conn.makefile("rb")
    try:
        while True:
            req = read_request(f)
            if req is None:
                return
            with lock:
                count += 1
                print("requests %d" % count, file=sys.stderr, flush=True)
            method, target, headers, body = req
            if mode == "auth":
                answer(conn, "403 Forbidden", xml_error("SignatureDoesNotMatch", "The request signature we calculated does not match"))
            elif mode == "error500":
                answer(conn, "500 Internal Server Error", xml_error("InternalError", "We encountered an internal error."))
            elif mode == "error503":
                answer(conn, "503 Service Unavailable", xml_error("SlowDown", "Please reduce your request rate."))
            elif mode == "garbage500":
                answer(conn, "500 Internal Server Error", b"<<<not xml \x00\xff at all")
            elif mode == "slow":
                time.sleep(5)
                answer(conn, "200 OK", b"late")
            elif mode == "truncated":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc")
                return
            elif mode == "badetag":
                other = hashlib.md5(b"other").digest()
                answer(conn, "200 OK", b"hello", 'ETag: "%s"\r\nContent-MD5: %s\r\n'
                       % (other.hex(), __import__("base64").b64encode(other).decode()))
            elif mode == "badlist":
                answer(conn, "200 OK", b"<html>not a listing</html>")
            elif mode == "sigv4":
                sigv4(conn, method, target, headers, body)
    except (ConnectionError, OSError, ValueError):
        return
    finally:
        conn.close()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        print("usage: badstore.py %s" % "|".join(MODES), file=sys.stderr)
        sys.exit(2)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    print("port %d" % s.getsockname()[1], flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, sys.argv[1]), daemon=True).start()


if __name__ == "__main__":
    main()
