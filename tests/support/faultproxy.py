"""FaultProxy: a TCP proxy on 127.0.0.1 that can misbehave on demand, for
outage/retry tests. Imported via servers.py (`from tests.support.servers import FaultProxy`).

    fp = FaultProxy(("127.0.0.1", swift.proxy_port))
    fp.mode = "stall"        # pass | refuse | stall | reset_after | status
    ...
    fp.close()

Modes (read whenever data arrives, so they also hit open keep-alive connections):
  pass         pipe bytes both ways (keep-alive works).
  refuse       stop listening: new connects get ECONNREFUSED (the port stays
               reserved); open connections are dropped at once.
  stall        as soon as bytes move on a connection (a request, or a response
               still streaming), read and discard what the client sends and never
               answer, until the client gives up. Idle keep-alive connections are
               untouched; a stalled connection stays stalled after the mode changes.
  reset_after  forward, but once a connection has sent `reset_after_bytes`
               client->server bytes (counted while in this mode) reset both sides.
  status       answer the next `status_count` requests (at a request boundary)
               with `HTTP/1.1 <status_code>`, Content-Length 0, Connection: close,
               plus `status_headers`, without forwarding; then back to "pass".
Counters: `connections` = accepted connections; `requests` = HTTP request
heads seen from clients in any mode (the client->server stream is framed by
Content-Length / chunked encoding, so keep-alive requests are counted too).
`seen` = the request line ("METHOD target", e.g. "PUT /v1/AUTH_test/c/o?x=y")
of every request whose head arrived, in order.

Lost requests and lost answers (in "pass" mode, stacked on top of it):
    fp.lose("PUT", "multipart-manifest=put")            # lose the next answer
    fp.lose("GET", "/auth/", what="request", count=2)   # lose the next 2 requests
    fp.lost        # request lines lost so far;  fp.clear_lose() disarms all
A rule matches a request whose method equals `method` (if given) and whose
target contains `contains` (if given); it fires for the next `count` such
requests, then is gone. The first armed rule that matches wins.
  what="request"  the client connection is reset (RST) before any byte of
                  that request reaches the server: the server never acts.
  what="answer"   the whole request is forwarded; once the server's final
                  response head has arrived (the server acted), the client
                  connection is reset and the upstream closed, without
                  forwarding a byte of that response. Interim 1xx responses
                  ("100 Continue" to Expect: 100-continue) are forwarded.
A request head is held back until it is complete (to match it), so no byte of
a lost request reaches the server; other requests pass normally (keep-alive
included).
"""
import select
import socket
import struct
import threading
import time
import urllib.parse
from http import HTTPStatus

HOST = "127.0.0.1"
MODES = ("pass", "refuse", "stall", "reset_after", "status")
_CHUNK = 65536
_BUF_LIMIT = 4 * _CHUNK  # back-pressure: stop reading a side while its output is queued


class _RequestFramer:
    """Follows the client->server bytes of HTTP/1.x requests just enough to
    find request boundaries. Gives up (state "opaque") on non-HTTP input.

    feed() returns the heads it completed, as (offset, request line): offset
    is where that request starts in the client stream (bytes fed so far
    count from 0). on_head(request line) is also called for each."""

    def __init__(self, on_request, on_head=None):
        self.on_request, self.on_head = on_request, on_head
        self.state, self.buf, self.remaining = "head", b"", 0
        self.started = self.finished = 0
        self.expect_continue = False
        self.pos = 0  # stream offset of buf[0]
        self.start = 0  # stream offset where the current request starts
        self.line = None  # request line of the current (or last) request
        self._events = []

    @property
    def idle(self):  # between requests: the next byte starts a new one
        return self.state == "head" and not self.buf

    @property
    def head_done(self):
        return self.state != "head" or self.finished == self.started

    @property
    def hold_from(self):
        """Stream offset of a request whose head is still incomplete, else None."""
        if self.state == "head" and self.finished < self.started:
            return self.start
        return None

    def _consume(self, n):
        self.buf = self.buf[n:]
        self.pos += n

    def feed(self, data):
        self._events = events = []
        if self.state == "opaque":
            return events
        self.buf += data
        while self.buf:
            if self.state == "head":
                if self.finished == self.started:  # first bytes of a new request
                    # stray CRLF between requests
                    self._consume(len(self.buf) - len(self.buf.lstrip(b"\r\n")))
                    if not self.buf:
                        return events
                    self.started += 1
                    self.start = self.pos
                    self.on_request()
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buf) > 65536:
                        self._opaque()
                    return events
                self._head(self.buf[:end])
                self._consume(end + 4)
            elif self.state in ("body", "chunk-data"):
                take = min(self.remaining, len(self.buf))
                self._consume(take)
                self.remaining -= take
                if not self.remaining:
                    self._done() if self.state == "body" else self._set("chunk-size")
            else:  # chunk-size line, or trailer lines after the 0 chunk
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return events
                line = self.buf[:end]
                self._consume(end + 2)
                if self.state == "trailer":
                    if not line:
                        self._done()
                    continue
                try:
                    size = int(line.split(b";")[0].strip() or b"x", 16)
                except ValueError:
                    self._opaque()
                    return events
                if size:
                    self.state, self.remaining = "chunk-data", size + 2  # data + CRLF
                else:
                    self.state = "trailer"
        return events

    def _opaque(self):
        self.pos += len(self.buf)
        self.state, self.buf = "opaque", b""

    def _head(self, head):
        lines = head.split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ")
        self.line = " ".join(parts[:2])  # "METHOD target", without the HTTP version
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        self.expect_continue = headers.get(b"expect") == b"100-continue"
        self._events.append((self.start, self.line))
        if self.on_head is not None:
            self.on_head(self.line)
        if b"chunked" in headers.get(b"transfer-encoding", b""):
            self.state = "chunk-size"
        elif int(headers.get(b"content-length") or 0) > 0:
            self.state, self.remaining = "body", int(headers[b"content-length"])
        else:
            self._done()

    def _set(self, state):
        self.state = state

    def _done(self):
        self.state = "head"
        self.finished += 1


def _recv(sock):
    """recv on a non-blocking socket; b"" = EOF, None = nothing there after all."""
    try:
        return sock.recv(_CHUNK)
    except BlockingIOError:
        return None


def _rst(sock):
    """Make close() send a TCP RST instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass


class FaultProxy:
    def __init__(self, target, port=0):
        if isinstance(target, str):  # also accept "http://host:port"
            u = urllib.parse.urlsplit(target)
            target = (u.hostname, u.port)
        self.target = tuple(target)
        self.reset_after_bytes = 0
        self.status_code, self.status_count, self.status_headers = 503, 1, {}
        self.connections = self.requests = 0
        self.seen, self.lost = [], []  # request lines: every one seen; the ones lost
        self._lose_rules = []  # [method or None, contains or None, what, count left]
        self._mode, self._closed = "pass", False
        self._cond = threading.Condition()
        self._socks = set()  # every open socket, so close()/refuse can drop them
        self._threads = []
        self._lsock = self._bound_socket(port)
        self._lsock.listen(128)
        self._listening = True
        self.port = self._lsock.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="FaultProxy-%d" % self.port, daemon=True)
        self._accept_thread.start()

    def url_for(self, path=""):
        return "http://%s:%d%s" % (HOST, self.port, path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- mode switching
    @property
    def mode(self):
        return self._mode

    @mode.setter
    def mode(self, value):
        if value not in MODES:
            raise ValueError("mode must be one of %s" % (MODES,))
        with self._cond:
            self._mode = value
            if value == "refuse":
                self._drop_all()
            # the accept thread owns the listening socket: wake it and wait until
            # it listens / stops listening, so the caller sees the mode at once
            self._wake_w.send(b"x")
            want = value != "refuse"
            if not self._cond.wait_for(lambda: self._listening == want or self._closed, 5):
                raise RuntimeError("FaultProxy could not %s listening on port %d"
                                   % ("start" if want else "stop", self.port))

    # -- lost requests / lost answers
    def lose(self, method=None, contains=None, what="answer", count=1):
        """Lose the next `count` requests (what="request") or their answers
        (what="answer") whose method is `method` and whose target contains
        `contains` (either may be None: any)."""
        if what not in ("answer", "request"):
            raise ValueError("what must be 'answer' or 'request'")
        if int(count) < 1:
            raise ValueError("count must be at least 1")
        with self._cond:
            self._lose_rules.append([method.upper() if method else None, contains, what, int(count)])

    def clear_lose(self):
        with self._cond:
            self._lose_rules.clear()

    def _saw(self, line):
        with self._cond:
            self.seen.append(line)

    def _take_lose(self, line):
        """What to lose of the request `line` ("request", "answer" or None);
        consumes the rule that fires."""
        method, _, target = line.partition(" ")
        with self._cond:
            if self._mode != "pass":
                return None
            for rule in self._lose_rules:
                want_method, contains, what, _ = rule
                if want_method is not None and want_method != method.upper():
                    continue
                if contains is not None and contains not in target:
                    continue
                rule[3] -= 1
                if rule[3] <= 0:
                    self._lose_rules.remove(rule)
                self.lost.append(line)
                return what
        return None

    def drop_connections(self):
        """Cut every open connection (like a server restart would)."""
        with self._cond:
            self._drop_all()

    def _drop_all(self):
        for s in list(self._socks):
            try:  # shutdown, not close: the owning thread closes (no fd reuse races)
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _take_status(self):
        """True if this request gets the canned status; counts status_count down."""
        with self._cond:
            if self._mode != "status":
                return False
            if self.status_count <= 0:
                self._mode = "pass"
                return False
            self.status_count -= 1
            if self.status_count <= 0:
                self._mode = "pass"
            return True

    def _count_request(self):
        with self._cond:
            self.requests += 1

    # -- listening
    def _bound_socket(self, port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, port))
        return s

    def _set_listening(self, on):
        # "refuse" = a bound socket that does not listen: the kernel answers SYNs
        # with RST (ECONNREFUSED) and the port stays reserved for us
        if not on and self._lsock is not None:
            self._lsock.close()  # also resets connections waiting in the backlog
            self._lsock = None
        if self._lsock is None:
            self._lsock = self._bound_socket(self.port)  # may raise: retried next loop
        if on:
            self._lsock.listen(128)
        self._listening = on

    def _accept_loop(self):
        while True:
            with self._cond:
                if self._closed:
                    break
                want = self._mode != "refuse"
                if want != self._listening:
                    try:
                        self._set_listening(want)
                    except OSError:
                        pass  # e.g. port briefly taken; the setter times out and raises
                self._cond.notify_all()
                lsock = self._lsock if self._listening else None
            ready = select.select([self._wake_r] + ([lsock] if lsock else []), [], [], 0.5)[0]
            if self._wake_r in ready:
                self._wake_r.recv(4096)
            if lsock is not None and lsock in ready:
                try:
                    conn, _ = lsock.accept()
                except OSError:
                    continue
                with self._cond:
                    self.connections += 1
                    self._socks.add(conn)
                    self._threads = [t for t in self._threads if t.is_alive()]
                    t = threading.Thread(target=self._handle, args=(conn,), daemon=True)
                    self._threads.append(t)
                t.start()
        if self._lsock is not None:
            self._lsock.close()

    def close(self):
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._drop_all()
            self._cond.notify_all()
        self._wake_w.send(b"x")
        self._accept_thread.join(5)
        for t in list(self._threads):
            t.join(5)
        self._wake_r.close()
        self._wake_w.close()

    # -- one connection
    def _handle(self, client):
        upstream = None
        try:
            upstream = self._relay(client)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                if s is not None:
                    with self._cond:
                        self._socks.discard(s)
                    s.close()

    def _relay(self, client):
        """Pipe both ways with non-blocking sockets in one thread (no deadlock
        when both sides send at once). Returns the upstream socket to close."""
        framer = _RequestFramer(self._count_request, self._saw)
        client.setblocking(False)
        upstream, to_up, to_cl = None, bytearray(), bytearray()
        # client bytes not yet forwarded: an incomplete request head is held
        # back until it can be matched against the lose rules
        held, held_at = bytearray(), 0  # held_at: stream offset of held[0]
        losing = None  # while an answer is to be lost: the response bytes so far
        c_eof = u_eof = up_shut = False
        reset_count = 0
        while not self._closed:
            if self._mode == "refuse":
                return upstream
            rl = [s for s, ok in ((client, not c_eof and len(to_up) < _BUF_LIMIT),
                                  (upstream, upstream and not u_eof and len(to_cl) < _BUF_LIMIT))
                  if ok]
            wl = [s for s, buf in ((upstream, to_up), (client, to_cl)) if buf and s]
            r, w, _ = select.select(rl, wl, [], 0.2)
            if r and self._mode == "stall":
                # Bytes are moving (a new request, or a response still streaming):
                # freeze. Idle keep-alive connections are left alone, so a client's
                # pooled connections work again once the mode is back to "pass".
                if upstream is not None:
                    _rst(upstream)
                self._stall(client, framer)
                return upstream
            data = _recv(client) if client in r else None
            if data is not None:
                if not data:
                    c_eof = True
                    to_up += held  # a half-sent head: nothing left to match it against
                    held_at += len(held)
                    del held[:]
                elif framer.idle and not held and self._take_status():
                    if upstream is not None:
                        _rst(upstream)
                    self._answer_status(client, framer, data)
                    return upstream
                else:
                    events = framer.feed(data)
                    held += data
                    new = bytearray()
                    for start, line in events:
                        new += held[:start - held_at]  # what came before this request
                        del held[:start - held_at]
                        held_at = start
                        what = self._take_lose(line)
                        if what == "request":
                            if new:  # rare (pipelining): the end of an earlier request
                                upstream = upstream or self._connect()
                                upstream.setblocking(True)
                                upstream.sendall(bytes(to_up) + new)
                            _rst(client)
                            return upstream
                        if what == "answer":
                            losing = bytearray()
                    hold = framer.hold_from
                    if hold is None or self._mode == "reset_after":
                        hold = held_at + len(held)
                    new += held[:hold - held_at]
                    del held[:hold - held_at]
                    held_at = hold
                    if new and upstream is None:
                        upstream = self._connect()
                    if self._mode == "reset_after":
                        room = max(self.reset_after_bytes - reset_count, 0)
                        reset_count += len(new)
                        if reset_count >= self.reset_after_bytes:
                            upstream.setblocking(True)
                            upstream.sendall(bytes(to_up) + new[:room])
                            _rst(client)
                            _rst(upstream)
                            return upstream
                    else:
                        reset_count = 0
                    to_up += new
            data = _recv(upstream) if upstream is not None and upstream in r else None
            if data and losing is not None:
                losing += data
                if self._lose_answer(losing, to_cl):
                    _rst(client)  # the server acted; its answer never reaches the client
                    return upstream
            elif data:
                to_cl += data
            elif data is not None:
                u_eof = True
            for s, buf in ((upstream, to_up), (client, to_cl)):
                if s in w and buf:
                    del buf[:s.send(buf)]
            if u_eof and not to_cl:
                if losing is not None:
                    _rst(client)
                return upstream  # server closed: close the client too
            if c_eof and not to_up:
                if upstream is None:
                    return None
                if not up_shut:  # pass the half-close on, wait for the response
                    upstream.shutdown(socket.SHUT_WR)
                    up_shut = True
        return upstream

    def _connect(self):
        upstream = socket.create_connection(self.target, timeout=5)
        upstream.setblocking(False)
        with self._cond:
            self._socks.add(upstream)
        return upstream

    @staticmethod
    def _lose_answer(buf, to_cl):
        """Response bytes of a request whose answer is to be lost: pass
        interim 1xx responses on to the client (moved from buf to to_cl);
        True once the final response head has arrived."""
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            status = buf[:buf.find(b"\r\n")].split(b" ")
            try:
                code = int(status[1])
            except (IndexError, ValueError):
                return True  # not HTTP: lose it all the same
            if not 100 <= code < 200 or code == 101:
                return True
            to_cl += buf[:end + 4]
            del buf[:end + 4]

    def _stall(self, client, framer):
        while not self._closed:
            if select.select([client], [], [], 0.2)[0]:
                data = client.recv(_CHUNK)
                if not data:
                    return
                framer.feed(data)

    def _answer_status(self, client, framer, data):
        framer.feed(data)
        client.settimeout(5)
        deadline = time.monotonic() + 5
        # Read the whole request first (unless the client waits for
        # "100 Continue"): answering mid-upload would make the client see a
        # broken pipe instead of the status.
        while time.monotonic() < deadline and not (
                framer.finished == framer.started
                or (framer.head_done and framer.expect_continue)
                or framer.state == "opaque"):
            try:
                more = client.recv(_CHUNK)
            except socket.timeout:
                break
            if not more:
                break
            framer.feed(more)
        code = int(self.status_code)
        try:
            reason = HTTPStatus(code).phrase
        except ValueError:
            reason = "Fault"
        head = ["HTTP/1.1 %d %s" % (code, reason), "Content-Length: 0", "Connection: close"]
        head += ["%s: %s" % kv for kv in self.status_headers.items()]
        client.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        # FIN, then drain briefly: closing with unread input would send an RST
        # that can destroy the response before the client reads it
        client.shutdown(socket.SHUT_WR)
        client.settimeout(1)
        try:
            while client.recv(_CHUNK):
                pass
        except OSError:
            pass
