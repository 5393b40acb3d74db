"""TLSProxy: terminates TLS on 127.0.0.1 and pipes the plaintext to a server
(the Swift proxy), so clients talk https to the real Swift.

    with TLSProxy(("127.0.0.1", swift.proxy_port), ca.issue_cert("127.0.0.1")) as tls:
        tls.url_for("/auth/v1.0")   # https://127.0.0.1:<port>/auth/v1.0

tempauth builds X-Storage-Url from the request's Host header (already ours)
and its own scheme (http). A TLS terminator in front of a real Swift is set up
to say https there; this proxy does the same by rewriting `http://` to
`https://` in the X-Storage-Url header of the first response head of each
connection (swiftclient authenticates on a fresh connection). Bodies and other
responses pass byte for byte.
Counters: `handshakes` (completed), `handshake_errors` (one str per failed
handshake, e.g. the client refused our certificate), `forwarded` (connections
whose client sent bytes on to the server: refused clients send none).
"""
import select
import socket
import ssl
import threading
import urllib.parse

HOST = "127.0.0.1"
_CHUNK = 65536
_HEAD_LIMIT = 65536


class TLSProxy:
    def __init__(self, target, leaf_cert):
        self.target = tuple(target)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf_cert.configure_cert(self.context)  # a trustme.LeafCert
        self.handshakes, self.handshake_errors, self.forwarded = 0, [], 0
        self._lock = threading.Lock()
        self._closed = False
        self._lsock = socket.create_server((HOST, 0))
        self._lsock.settimeout(0.2)
        self.port = self._lsock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name="TLSProxy-%d" % self.port)
        self._thread.start()

    def url_for(self, path=""):
        return "https://%s:%d%s" % (HOST, self.port, path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._closed = True
        self._thread.join(5)
        self._lsock.close()

    def _accept_loop(self):
        while not self._closed:
            try:
                conn, _ = self._lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, raw):
        tls = upstream = None
        try:
            raw.settimeout(10)
            try:
                tls = self.context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                with self._lock:
                    self.handshake_errors.append(str(exc))
                return
            with self._lock:
                self.handshakes += 1
            first = tls.recv(_CHUNK)  # a client that refused our certificate sends nothing
            if not first:
                return
            with self._lock:
                self.forwarded += 1
            upstream = socket.create_connection(self.target, timeout=10)
            upstream.sendall(first)
            self._pipe(tls, upstream)
        except OSError:
            pass
        finally:
            for s in (tls, upstream, raw):
                if s is not None:
                    s.close()

    def _pipe(self, tls, upstream):
        """One thread per connection, blocking sockets: an SSL object must not
        be read and written from two threads at once."""
        head = bytearray()  # the first response head, until it is complete
        rewriting = True
        while not self._closed:
            ready = [tls] if tls.pending() else select.select([tls, upstream], [], [], 0.2)[0]
            if tls in ready:
                data = tls.recv(_CHUNK)
                if not data:
                    return
                upstream.sendall(data)
            if upstream in ready:
                data = upstream.recv(_CHUNK)
                if not data:
                    if head:
                        tls.sendall(head)
                    return
                if rewriting:
                    head += data
                    end = head.find(b"\r\n\r\n")
                    if end < 0 and len(head) < _HEAD_LIMIT:
                        continue
                    data = bytes(head) if end < 0 else self._rewrite(bytes(head[:end])) + bytes(head[end:])
                    rewriting, head = False, bytearray()
                tls.sendall(data)

    def _rewrite(self, head):
        lines = head.split(b"\r\n")
        for i, line in enumerate(lines[1:], 1):
            name, sep, value = line.partition(b":")
            if sep and name.strip().lower() == b"x-storage-url":
                url = urllib.parse.urlsplit(value.strip().decode("latin-1"))
                if url.scheme == "http":
                    netloc = url.netloc
                    if netloc == "%s:%d" % self.target:  # the plain address: ours instead
                        netloc = "%s:%d" % (HOST, self.port)
                    fixed = urllib.parse.urlunsplit(("https", netloc) + tuple(url[2:]))
                    lines[i] = name + b": " + fixed.encode("latin-1")
        return b"\r\n".join(lines)
