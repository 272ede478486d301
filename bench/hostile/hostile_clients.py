#!/usr/bin/env python3
"""What hostile clients cost a running detserve: the figures of docs/reliability.md.

    bench/hostile/hostile_clients.py build/detserve [--model models/nanodet/nanodet.xml]

Starts `detserve serve` on an ephemeral loopback port (twice: the second time with
allow_compressed_bodies), plays each case, and prints its answer, the bytes the server read
(detserve_http_received_bytes_total), its RSS growth, and the latency of a normal POST /v1/detect of
darknet's dog.jpg made while the case holds. Python's standard library only.
"""
import argparse
import http.client
import os
import re
import socket
import subprocess
import time
import zlib

MIB = 1 << 20


def start(binary, model, extra=()):
    server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", "--model", model, *extra],
                              stderr=subprocess.PIPE, text=True)
    for line in server.stderr:
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if match:
            port = int(match.group(1))
            break
    else:
        raise SystemExit("detserve serve did not start")
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("detserve serve never became ready")


def detect_ms(port, image):
    started = time.time()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/v1/detect", image, {"Content-Type": "image/jpeg"})
    answer = connection.getresponse()
    answer.read()
    return "%d in %.0f ms" % (answer.status, (time.time() - started) * 1000)


def rss_mb(server):
    status = open(f"/proc/{server.pid}/status").read()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def received_bytes(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    return float(re.search(r"\ndetserve_http_received_bytes_total ([0-9.e+]+)", text).group(1))


def status_line(sock, timeout=10):
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data.split(b"\r\n")[0].decode(errors="replace") or "(no answer)"


def send_until_refused(sock, piece, limit):
    sent = 0
    try:
        while sent < limit:
            sock.sendall(piece)
            sent += len(piece)
    except OSError:
        pass
    return sent


def gzip_of_zeros(mib):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * MIB
    return b"".join(compressor.compress(zeros) for _ in range(mib)) + compressor.flush()


def post_head(extra):
    return b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n" + extra + b"\r\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--model", default="models/nanodet/nanodet.xml")
    parser.add_argument("--samples", default=os.environ.get("DETSERVE_SAMPLES_DIR",
                                                            os.path.expanduser("~/.cache/detserve/samples")))
    args = parser.parse_args()
    dog = open(os.path.join(args.samples, "dog.jpg"), "rb").read()
    bomb = gzip_of_zeros(400)

    server, port = start(args.binary, args.model)
    print("baseline detect:", detect_ms(port, dog), "/", detect_ms(port, dog))

    before, sock = received_bytes(port), socket.create_connection(("127.0.0.1", port))
    sock.sendall(post_head(b"Transfer-Encoding: chunked\r\n"))
    sent = send_until_refused(sock, b"10000\r\n" + b"x" * 0x10000 + b"\r\n", 300 * MIB)
    print("chunked 300 MB: %s; client got %d MiB into the socket; server read %.2f MiB" %
          (status_line(sock), sent // MIB, (received_bytes(port) - before) / MIB))
    sock.close()

    rss, sock = rss_mb(server), socket.create_connection(("127.0.0.1", port))
    sock.sendall(post_head(b"Content-Encoding: gzip\r\nContent-Length: %d\r\n" % len(bomb)))
    send_until_refused(sock, bomb, len(bomb))
    print("gzip bomb (%d KB -> 400 MB): %s; RSS %+.1f MB" % (len(bomb) // 1024, status_line(sock), rss_mb(server) - rss))
    sock.close()

    started, sock = time.time(), socket.create_connection(("127.0.0.1", port))
    sock.sendall(post_head(b"Content-Length: 200000000\r\n"))
    print("declared 200 MB: %s in %.0f ms" % (status_line(sock), (time.time() - started) * 1000))
    sock.close()

    for name, prefix in (("request line", b"GET /"), ("header line", b"GET / HTTP/1.1\r\nX-Filler: ")):
        rss, sock = rss_mb(server), socket.create_connection(("127.0.0.1", port))
        sock.sendall(prefix)
        sent = send_until_refused(sock, b"a" * MIB, 300 * MIB)
        print("300 MB %s: %s; client sent %d MiB; RSS %+.1f MB" %
              (name, status_line(sock), sent // MIB, rss_mb(server) - rss))
        sock.close()

    slow = []
    for _ in range(200):
        slow.append(socket.create_connection(("127.0.0.1", port)))
        slow[-1].sendall(b"POST /v1/detect HTTP/1.1\r\nHost: x\r\n")
    time.sleep(2)
    for sock in slow:
        sock.sendall(b"X-Slow: 1\r\n")
    print("200 slowloris connections open, detect:", detect_ms(port, dog), "/", detect_ms(port, dog))
    for sock in slow:
        sock.close()

    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
    time.sleep(1)
    print("1000 idle connections open, detect:", detect_ms(port, dog), "/", detect_ms(port, dog),
          "; RSS %.0f MB" % rss_mb(server))
    for sock in idle:
        sock.close()
    server.terminate()
    server.wait()

    server, port = start(args.binary, args.model, ["--allow-compressed-bodies", "true"])
    rss, sock = rss_mb(server), socket.create_connection(("127.0.0.1", port))
    sock.sendall(post_head(b"Content-Encoding: gzip\r\nContent-Length: %d\r\n" % len(bomb)))
    send_until_refused(sock, bomb, len(bomb))
    print("gzip bomb, allow_compressed_bodies: %s; RSS %+.1f MB" % (status_line(sock), rss_mb(server) - rss))
    sock.close()
    print("after it, detect:", detect_ms(port, dog))
    server.terminate()
    server.wait()


if __name__ == "__main__":
    main()
