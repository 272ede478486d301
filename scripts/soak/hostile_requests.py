#!/usr/bin/env python3
"""A trickle of hostile requests for scripts/soak.sh: one every --interval seconds, cycling
through the cases below, each on its own TCP connection, until --duration has passed.

Every case but the aborted ones must be answered with a 4xx status; the aborted ones (the client
closes mid-request, nothing is expected back) must leave the server up. Writes one CSV row per
request to --csv: epoch_s,case,expected,status,ok,detail. Exit status 0 when every row is ok,
1 otherwise, 2 on bad arguments. Standard library only (any python3).
"""
import argparse
import csv
import socket
import sys
import time

TIMEOUT_S = 10.0          # connect / each read; a hostile request that hangs this long fails
SLOW_PIECE_DELAY_S = 0.3  # the slow upload's pause between pieces


def recv_status(sock):
    """The status code of the answer on sock (reads until the status line is complete)."""
    data = b""
    while b"\r\n" not in data:
        piece = sock.recv(4096)
        if not piece:
            raise ConnectionError(f"closed before a status line (got {data[:60]!r})")
        data += piece
    parts = data.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP status line: {data[:60]!r}")
    return int(parts[1])


def request_head(method, target, headers):
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_whole(port, method, target, headers=(), body=b""):
    """Sends one request in one go and returns the answer's status."""
    headers = list(headers)
    if body or method == "POST":
        headers.append(("Content-Length", str(len(body))))
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock:
        sock.sendall(request_head(method, target, headers) + body)
        return recv_status(sock)


def raw_target(port, target):
    """target is sent byte for byte (no URL encoding), e.g. b"/%ff"."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return recv_status(sock)


def slow_upload(port, body, pieces):
    """The body in `pieces` parts with a pause after each; returns the status."""
    head = request_head("POST", "/v1/detect", [("Content-Type", "image/jpeg"), ("Content-Length", str(len(body)))])
    step = max(1, len(body) // pieces)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock:
        sock.sendall(head)
        for start in range(0, len(body), step):
            time.sleep(SLOW_PIECE_DELAY_S)
            sock.sendall(body[start:start + step])
        return recv_status(sock)


def aborted_upload(port, declared, sent):
    """Declares `declared` bytes, sends `sent` of them, closes. Returns None (nothing expected)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock:
        sock.sendall(request_head("POST", "/v1/detect", [("Content-Type", "image/jpeg"),
                                                         ("Content-Length", str(declared))]))
        sock.sendall(b"\xff\xd8" + b"\x00" * (sent - 2))
        time.sleep(SLOW_PIECE_DELAY_S)
    return None


def oversized_declared_length(port):
    """A declared length far over max_body_bytes and a few bytes of it: 413 before the rest."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as sock:
        sock.sendall(request_head("POST", "/v1/detect", [("Content-Type", "image/jpeg"),
                                                         ("Content-Length", str(10 ** 12))]))
        sock.sendall(b"\xff\xd8\xff\xe0" + b"\x00" * 1020)
        return recv_status(sock)


def truncated_mid_scan(jpeg):
    """The photo cut in the middle of its entropy-coded scan (after the SOS marker)."""
    sos = jpeg.find(b"\xff\xda")
    if sos < 0:
        raise ValueError("the photo has no SOS marker")
    return jpeg[:sos + (len(jpeg) - sos) // 2]


def build_cases(photo):
    kserve = "/v2/models/nanodet/infer"
    json_type = [("Content-Type", "application/json")]
    deep = b'{"inputs":[{"name":"image","datatype":"BYTES","shape":[1],"data":' + b"[" * 100000 + b"]" * 100000 + b"}]}"
    return [
        # (name, expected, function of port → status or None)
        ("bad_json", "4xx", lambda p: send_whole(p, "POST", kserve, json_type, b'{"inputs": [{"name": "image",')),
        ("garbage_body", "4xx", lambda p: send_whole(p, "POST", "/v1/detect", [("Content-Type", "image/jpeg")],
                                                      bytes(range(256)) * 64)),
        ("truncated_jpeg", "4xx", lambda p: send_whole(p, "POST", "/v1/detect", [("Content-Type", "image/jpeg")],
                                                        truncated_mid_scan(photo))),
        ("invalid_utf8_path", "4xx", lambda p: raw_target(p, b"/%ff")),
        ("invalid_utf8_query", "4xx", lambda p: send_whole(p, "POST", "/v1/detect?classes=%ff%fe",
                                                            [("Content-Type", "image/jpeg")], photo)),
        ("invalid_utf8_route_param", "4xx", lambda p: raw_target(p, b"/v2/models/%ff%fe")),
        ("oversized_content_length", "4xx", oversized_declared_length),
        ("deep_json", "4xx", lambda p: send_whole(p, "POST", kserve, json_type, deep)),
        ("threshold_1e309", "4xx", lambda p: send_whole(p, "POST", kserve, json_type,
                                                         b'{"parameters":{"threshold":1e309},"inputs":[]}')),
        ("multipart_no_boundary", "4xx", lambda p: send_whole(p, "POST", "/v1/detect",
                                                               [("Content-Type", "multipart/form-data")], b"--x\r\n\r\n")),
        ("slow_garbage_upload", "4xx", lambda p: slow_upload(p, b"\xff\xd8" + b"\x11" * 4094, pieces=6)),
        ("aborted_upload", "closed", lambda p: aborted_upload(p, declared=len(photo), sent=len(photo) // 3)),
        ("wrong_method", "4xx", lambda p: send_whole(p, "DELETE", "/v1/detect")),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--photo", required=True, help="a JPEG to cut and re-send (e.g. dog.jpg)")
    parser.add_argument("--duration", type=float, required=True, help="seconds")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between requests (default 1)")
    parser.add_argument("--csv", required=True)
    args = parser.parse_args()
    with open(args.photo, "rb") as f:
        cases = build_cases(f.read())

    failures = 0
    deadline = time.monotonic() + args.duration
    next_at = time.monotonic()
    with open(args.csv, "w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["epoch_s", "case", "expected", "status", "ok", "detail"])
        i = 0
        while time.monotonic() < deadline:
            name, expected, send = cases[i % len(cases)]
            i += 1
            started = time.time()
            status, detail = "", ""
            try:
                answer = send(args.port)
                status = "" if answer is None else str(answer)
                ok = (answer is None) if expected == "closed" else (400 <= answer < 500)
            except Exception as error:  # a refused connection, a reset, a timeout: all failures
                detail = f"{type(error).__name__}: {error}"
                ok = expected == "closed" and isinstance(error, (ConnectionResetError, BrokenPipeError))
            failures += not ok
            rows.writerow([f"{started:.3f}", name, expected, status, int(ok), detail])
            out.flush()
            next_at += args.interval
            time.sleep(max(0.0, next_at - time.monotonic()))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
