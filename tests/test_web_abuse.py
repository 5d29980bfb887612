"""HTTP under abuse, over real sockets on loopback: whatever a client sends,
it gets a 4xx (never a 5xx, never a traceback in the log), and what it holds
(slow headers, idle keep-alive connections) cannot starve anyone else."""
import logging
import re
import resource
import socket
import time

import pytest

from driverlogd.httplimits import Limits
from tests.webfake import FakeReadModel, ServerThread, request, sample_catalog

CRLF = b"\r\n"


def http(port, data, timeout=10.0, close_after_send=False):
    """Send raw bytes; every byte the server answers until it closes (or goes
    quiet). The server may answer and close before it has read them all."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            if close_after_send:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return read_all(s)


def read_all(s):
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        out += b"<reset>"
    return out


def statuses(answer):
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", answer)]


def get(path, *headers, version=b"HTTP/1.1"):
    return b" ".join([b"GET", path, version]) + CRLF + b"".join(
        h + CRLF for h in headers + (b"Host: x", b"Connection: close")) + CRLF


# Each: raw request -> the statuses allowed. Thorough rather than aimed:
# request lines, methods, targets, versions, headers, lengths, chunking.
ABUSE = {
    "non-hex chunk size": (get(b"/healthz", b"Transfer-Encoding: chunked") + b"ZZ\r\nabc\r\n0\r\n\r\n", {400}),
    "chunk size overflow": (get(b"/healthz", b"Transfer-Encoding: chunked") + b"F" * 40 + CRLF, {400}),
    "chunk without CRLF": (get(b"/healthz", b"Transfer-Encoding: chunked") + b"3\r\nabcXY0\r\n\r\n", {400}),
    "chunk too big": (get(b"/healthz", b"Transfer-Encoding: chunked") + b"100000\r\n" + b"a" * 70000, {413}),
    "chunk bad trailer": (get(b"/healthz", b"Transfer-Encoding: chunked") + b"0\r\n\x01\x02: x\r\n\r\n", {400}),
    "chunk extension flood": (get(b"/healthz", b"Transfer-Encoding: chunked") + b"3;" + b"x" * 9000, {400}),
    "transfer-encoding gzip": (get(b"/healthz", b"Transfer-Encoding: gzip"), {400}),
    "transfer-encoding list": (get(b"/healthz", b"Transfer-Encoding: gzip, chunked"), {400}),
    "101 headers": (get(b"/healthz", *[b"X-%d: y" % i for i in range(101)]), {431}),
    "header line of 70 KB": (get(b"/healthz", b"X: " + b"a" * 70000), {431}),
    "headers 66 KB in all": (get(b"/healthz", *[b"X-%d: %s" % (i, b"a" * 700) for i in range(95)]), {413}),
    "header without colon": (get(b"/healthz", b"nocolon"), {200, 400}),
    "header name with space": (get(b"/healthz", b"Bad Name: x"), {200, 400}),
    "header with NUL": (get(b"/healthz", b"X: a\x00b"), {200, 400}),
    "header of latin-1": (get(b"/healthz", b"X: \xff\xfe"), {200, 400}),
    "folded header": (get(b"/healthz", b"X: a", b" b"), {200, 400}),
    "content-length letters": (get(b"/healthz", b"Content-Length: abc"), {400}),
    "content-length negative": (get(b"/healthz", b"Content-Length: -5"), {400}),
    "content-length huge": (get(b"/healthz", b"Content-Length: " + b"9" * 30), {413}),
    "content-length twice": (get(b"/healthz", b"Content-Length: 1", b"Content-Length: 2") + b"ab", {400, 413}),
    "content-length with chunked": (get(b"/healthz", b"Content-Length: 5", b"Transfer-Encoding: chunked") + b"0\r\n\r\n", {200, 400}),
    "expect 100 with huge body": (get(b"/healthz", b"Expect: 100-continue", b"Content-Length: 99999999"), {413}),
    "short body then close": (get(b"/healthz", b"Content-Length: 100") + b"abc", {400, 408}),
    "head with body": (b"HEAD /healthz HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", {400}),
    "post": (b"POST /api/v1/drivers HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", {405}),
    "odd method": (b"BREW /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", {405}),
    "lower-case method": (b"get /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", {200, 400, 405}),
    "method of 8 KB": (b"A" * 8000 + b" / HTTP/1.1\r\n\r\n", {400, 405, 414}),
    "CONNECT": (b"CONNECT example.org:443 HTTP/1.1\r\nConnection: close\r\n\r\n", {400, 404, 405}),
    "OPTIONS *": (b"OPTIONS * HTTP/1.1\r\nConnection: close\r\n\r\n", {400, 404, 405}),
    "TRACE": (b"TRACE / HTTP/1.1\r\nConnection: close\r\n\r\n", {405}),
    "URL of 5 KB": (get(b"/api/v1/drivers?q=" + b"a" * 5000), {414}),
    "URL of 100 KB": (get(b"/" + b"a" * 100000), {414}),
    "invalid percent-encoding": (get(b"/api/v1/drivers?q=%ZZ%"), {200, 400}),
    "percent-encoded bad UTF-8": (get(b"/%C3%28"), {400}),
    "percent-encoded NUL": (get(b"/api/v1/drivers/%00/%00"), {400, 404}),
    "raw NUL in path": (get(b"/\x00"), {400, 404}),
    "raw bytes in path": (get(b"/\xff\xfe"), {400, 404}),
    "absolute-form target": (get(b"http://evil.example/api/v1/drivers"), {200, 400, 404}),
    "no leading slash": (get(b"healthz"), {400, 404}),
    "dot segments": (get(b"/static/../../../etc/passwd"), {400, 404}),
    "query of 2,000 params": (get(b"/api/v1/drivers?" + b"&".join(b"a%d=1" % i for i in range(600))), {400, 414}),
    "HTTP/0.9": (b"GET /healthz\r\n", {400}),
    "HTTP/1": (b"GET / HTTP/1\r\n\r\n", {400}),
    "HTTP/2.0": (b"GET / HTTP/2.0\r\n\r\n", {400}),
    "HTTP/1.x": (b"GET / HTTP/1.x\r\n\r\n", {400}),
    "version garbage": (b"GET / FTP/1.1\r\n\r\n", {400}),
    "four words": (b"GET / HTTP/1.1 extra\r\n\r\n", {400}),
    "TLS hello": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + CRLF + CRLF, {400}),
    "HTTP/2 preface": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {400}),
    "binary junk": (bytes(range(256)) + CRLF + CRLF, {400}),
    "lone LF lines": (b"GET /healthz HTTP/1.1\nHost: x\nConnection: close\n\n", {200, 400}),
}


@pytest.fixture()
def srv():
    with ServerThread(FakeReadModel(sample_catalog()),
                      limits=Limits(header_timeout=1.0, idle_timeout=1.0)) as s:
        yield s


def metric(srv, name, **labels):
    return srv.metrics.registry.get_sample_value(name, labels) or 0


@pytest.mark.parametrize("case", sorted(ABUSE))
def test_abuse_gets_a_4xx_never_a_5xx_nor_a_traceback(srv, case, caplog, capfd):
    data, allowed = ABUSE[case]
    with caplog.at_level(logging.DEBUG):
        answer = http(srv.port, data, close_after_send=True)
    got = statuses(answer)
    assert got and got[0] in allowed, (case, answer[:200])
    assert not any(s >= 500 for s in got), answer[:300]
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err + caplog.text
    assert metric(srv, "driverlog_http_responses_total", code="500") == 0
    assert request(srv.url, "/healthz")[0] == 200     # and the server is still there


def test_each_refusal_is_counted_and_logged_at_most_once_in_a_while(srv, caplog):
    with caplog.at_level(logging.INFO, "driverlogd.web.server"):
        for _ in range(30):
            http(srv.port, ABUSE["non-hex chunk size"][0], close_after_send=True)
            http(srv.port, ABUSE["101 headers"][0], close_after_send=True)
    assert metric(srv, "driverlog_http_bad_requests_total", reason="malformed") == 30
    assert metric(srv, "driverlog_http_bad_requests_total", reason="too_large") == 30
    assert metric(srv, "driverlog_http_responses_total", code="431") == 30
    lines = [r for r in caplog.records if r.name == "driverlogd.web.server"]
    assert len(lines) == 1 and "\n" not in lines[0].getMessage()


@pytest.mark.parametrize("start", [b"GET /healthz HTTP/1.1\r\n", b"GET /hea"])
def test_headers_dribbled_a_byte_at_a_time_meet_the_deadline(srv, start):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(start)
        try:     # 5 s of dribbling against a 1 s deadline for the whole header
            for _ in range(100):
                s.sendall(b"X")
                time.sleep(0.05)
        except OSError:
            pass
        answer = read_all(s)
    assert statuses(answer) == [408]
    assert metric(srv, "driverlog_http_bad_requests_total", reason="timeout") == 1


def test_a_body_that_never_ends_meets_the_deadline(srv):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(get(b"/healthz", b"Content-Length: 1000") + b"only this")
        assert statuses(read_all(s)) == [408]


def test_an_idle_connection_is_closed_after_the_idle_timeout(srv):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")     # keep-alive
        answer = read_all(s)      # the answer, then the close
    assert statuses(answer) == [200]
    assert metric(srv, "driverlog_http_connections_closed_total", reason="idle_timeout") == 1


def test_pipelined_requests_are_all_answered_in_order(srv):
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = http(srv.port, one * 20 + get(b"/nowhere"))
    assert statuses(answer) == [200] * 20 + [404]


def test_bodies_within_the_limit_are_read_and_ignored(srv):
    assert statuses(http(srv.port, get(b"/healthz", b"Content-Length: 5") + b"hello")) == [200]
    chunked = get(b"/healthz", b"Transfer-Encoding: chunked") + b"5\r\nhello\r\n0\r\n\r\n"
    assert statuses(http(srv.port, chunked)) == [200]


def test_new_connections_take_the_place_of_the_oldest_unfinished_ones():
    limits = Limits(max_connections=8, max_idle=4, header_timeout=30, idle_timeout=30)
    with ServerThread(FakeReadModel(sample_catalog()), limits=limits) as srv:
        slow = []
        for _ in range(8):     # mid-headers: not idle, yet not being answered either
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
            slow.append(s)
        time.sleep(0.2)
        assert request(srv.url, "/healthz")[0] == 200
        assert metric(srv, "driverlog_http_connections_closed_total", reason="capacity") >= 1
        for s in slow:
            s.close()


def test_when_every_connection_is_busy_a_new_one_gets_a_503():
    limits = Limits(max_connections=4, max_idle=4)
    with ServerThread(FakeReadModel(sample_catalog()), limits=limits) as srv:
        streams = []
        for _ in range(4):     # event streams: answered for minutes, never idle
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(12) == b"HTTP/1.1 200"
            streams.append(s)
        assert statuses(http(srv.port, get(b"/healthz"))) == [503]
        assert metric(srv, "driverlog_http_connections_closed_total", reason="busy") == 1
        for s in streams:
            s.close()


def test_two_thousand_idle_connections_starve_nobody():
    """As tests/test_service_idle_flood.py does to the daemon, with the server
    in this process (both ends' descriptors count against one limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 5000 and (hard == resource.RLIM_INFINITY or hard >= 5000):
        resource.setrlimit(resource.RLIMIT_NOFILE, (5000, hard))
    elif soft < 5000:
        pytest.skip("the hard open-files limit is below what 2 x 2,000 connections need")
    with ServerThread(FakeReadModel(sample_catalog())) as srv:
        held = [socket.create_connection(("127.0.0.1", srv.port), timeout=10)
                for _ in range(2000)]
        try:
            for path in ("/healthz", "/api/v1/drivers"):     # the 1 s bound: the daemon's test
                assert request(srv.url, path, timeout=5)[0] == 200
        finally:
            for s in held:
                s.close()
        assert metric(srv, "driverlog_http_connections_closed_total", reason="idle_limit") > 0


def test_a_client_that_stops_reading_loses_only_its_own_connection(caplog, capfd):
    from driverlogd.catalog.model import Catalog
    from tests.webfake import generate_data
    big = FakeReadModel(Catalog.from_data(generate_data(1000)))
    with ServerThread(big, limits=Limits(socket_timeout=0.5)) as srv:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", srv.port))
        # Pipelined, and never read: more than any socket buffer holds.
        s.sendall(b"GET /api/v1/drivers HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
        deadline = time.monotonic() + 30
        while not metric(srv, "driverlog_http_connections_closed_total", reason="lost"):
            assert time.monotonic() < deadline, "the stuck connection was never dropped"
            assert request(srv.url, "/healthz")[0] == 200      # others are served meanwhile
            time.sleep(0.1)
        s.close()
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err + caplog.text


def test_fuzzed_requests_never_get_a_5xx(capfd, caplog):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    token = st.binary(min_size=1, max_size=12).filter(lambda b: b"\r" not in b and b"\n" not in b)
    line_of = st.one_of(token, st.sampled_from([b"GET", b"HEAD", b"POST", b"get", b"G\x00T"]))
    target = st.one_of(st.sampled_from([b"/", b"/healthz", b"/api/v1/drivers?q=%", b"/badge/%FF",
                                        b"/api/v1/drivers/a%2Fb/c/d", b"*", b"//", b"/?&&=="]),
                       token.map(lambda b: b"/" + b.replace(b" ", b"%20")))
    version = st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.2", b"HTTP/0.9", b"HTTP/1"])
    header = st.tuples(st.one_of(token, st.sampled_from(
        [b"Content-Length", b"Transfer-Encoding", b"Expect", b"Connection", b"Host"])),
        st.one_of(token, st.sampled_from([b"chunked", b"-1", b"0", b"99999999999", b"100-continue"])))
    body = st.one_of(st.just(b""), token, st.sampled_from([b"0\r\n\r\n", b"zz\r\n", b"5\r\nab"]))

    with ServerThread(FakeReadModel(sample_catalog()),
                      limits=Limits(header_timeout=0.5, idle_timeout=0.5)) as srv:
        @settings(max_examples=150, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(line_of, target, version, st.lists(header, max_size=4), body)
        def one(method, path, ver, headers, data):
            raw = b" ".join([method, path, ver]) + CRLF + b"".join(
                n + b": " + v + CRLF for n, v in headers) + b"Connection: close\r\n\r\n" + data
            answer = http(srv.port, raw, timeout=5, close_after_send=True)
            assert not any(code >= 500 for code in statuses(answer)), (raw, answer[:200])
        one()
        assert request(srv.url, "/healthz")[0] == 200
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err + caplog.text
