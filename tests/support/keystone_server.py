"""A real OpenStack Keystone (identity API v3) for tests/integration/test_keystone.py.

Keystone (oslo.*, SQLAlchemy, Flask) runs from its own venv, .venv-keystone
next to .venv, with the exact versions in keystone-requirements.txt, so that
its pins never fight swift==2.38.3 in .venv. ensure_venv() creates it once
(scripts/test calls `python tests/support/keystone_server.py venv`); the fixture
calls it too, which is a no-op when the venv is up to date.

This file is two things:
  - imported in the test venv: KeystoneServer, the controller (stdlib only);
  - run by the keystone venv's python: `keystone_server.py serve DIR`, which
    syncs a SQLite DB, bootstraps admin, and serves the public WSGI app on a
    port it picks itself (written to DIR/port), in one process: ~3 s instead
    of ~15 s for four keystone-manage runs.

Everything binds 127.0.0.1; data lives in a fresh per-run dir.
"""
import atexit
import base64
import fcntl
import http.client
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, "keystone-requirements.txt")
VENV = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".venv-keystone")  # the repo root
HOST = "127.0.0.1"
ADMIN_USER, ADMIN_PASSWORD, ADMIN_PROJECT = "admin", "keystone-admin-pw", "admin"
REGION = "RegionOne"

_CONF = """[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///{d}/keystone.db
[fernet_tokens]
key_repository = {d}/fernet-keys
[fernet_receipts]
key_repository = {d}/fernet-keys
[credential]
key_repository = {d}/credential-keys
[identity]
# bcrypt's minimum cost: every password check is one hash
password_hash_rounds = 4
"""


# ------------------------------------------------------------------ the venv
def ensure_venv(venv=VENV, log=None):
    """Create or update the Keystone venv; return its python. Serialised with
    a lock file so that parallel workers build it once."""
    python = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, "swiftrotate-requirements.txt")
    with open(REQUIREMENTS) as f:
        wanted = f.read()
    with open(venv.rstrip("/") + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(stamp) as f:
                if f.read() == wanted and os.access(python, os.X_OK):
                    return python
        except OSError:
            pass
        out = log or subprocess.PIPE
        for argv in ([sys.executable, "-m", "venv", "--clear", venv],
                     [python, "-m", "pip", "install", "-q", "-r", REQUIREMENTS]):
            r = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=900)
            if r.returncode:
                raise RuntimeError("creating the Keystone venv failed: %s (rc %d)\n%s"
                                   % (" ".join(argv), r.returncode,
                                      (r.stdout or b"").decode("utf-8", "replace")[-4000:]))
        with open(stamp, "w") as f:
            f.write(wanted)
        return python


# ------------------------------------------------------------ the controller
class KeystoneError(RuntimeError):
    pass


class KeystoneServer:
    """Keystone with a bootstrapped admin (ADMIN_USER/ADMIN_PASSWORD in
    project ADMIN_PROJECT, domain Default, region RegionOne) and helpers that
    create domains, projects, users, regions, services and endpoints through
    the v3 REST API."""

    start_timeout = 60.0

    def __init__(self, base_dir=None, venv=VENV):
        self.base_dir, self.venv = base_dir, venv
        self.data_dir = self.port = self.proc = None
        self.startup_seconds = self.venv_seconds = None
        self._token = None

    @property
    def url(self):
        """Versionless identity endpoint (what OS_AUTH_URL often is)."""
        return "http://%s:%d" % (HOST, self.port)

    @property
    def v3_url(self):
        return self.url + "/v3"

    def log_path(self):
        return os.path.join(self.data_dir, "keystone.log")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        from .servers import _make_data_dir, _spawn
        t0 = time.monotonic()
        python = ensure_venv(self.venv)
        self.venv_seconds = time.monotonic() - t0
        atexit.register(self.stop)
        try:
            self.data_dir = _make_data_dir("swiftrotate-keystone-", self.base_dir)
            self.proc = _spawn([python, "-W", "ignore", os.path.abspath(__file__), "serve", self.data_dir],
                               self.log_path())
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _wait_ready(self):
        from .servers import _tail
        deadline = time.monotonic() + self.start_timeout
        port_file = os.path.join(self.data_dir, "port")
        while True:
            if self.proc.poll() is not None:
                raise KeystoneError("Keystone exited during start (rc %s)\n%s"
                                    % (self.proc.returncode, _tail(self.log_path())))
            if self.port is None and os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read())
            if self.port is not None:
                try:
                    self.admin_token()  # a password check and a token: DB, keys and app work
                    return
                except (OSError, http.client.HTTPException, KeystoneError):
                    pass
            if time.monotonic() > deadline:
                raise KeystoneError("Keystone not ready after %.0fs\n%s"
                                    % (self.start_timeout, _tail(self.log_path())))
            time.sleep(0.1)

    def stop(self):
        from .servers import _kill
        atexit.unregister(self.stop)
        _kill(self.proc)
        self.proc = None
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    # -- REST
    def request(self, method, path, body=None, token=None, expect=(200, 201, 204)):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            headers = {"Content-Type": "application/json"}
            if token or (token is None and self._token):
                headers["X-Auth-Token"] = token or self._token
            conn.request(method, "/v3" + path, body=json.dumps(body) if body is not None else None,
                         headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if resp.status not in expect:
            raise KeystoneError("%s /v3%s: HTTP %d %s" % (method, path, resp.status, data[:500]))
        resp.json = json.loads(data) if data else None
        return resp

    def password_token(self, user, password, project, user_domain="Default", project_domain="Default"):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": user_domain}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": project_domain}}}}}
        resp = self.request("POST", "/auth/tokens", body, token="", expect=(201,))
        return resp.getheader("X-Subject-Token"), resp.json["token"]

    def admin_token(self):
        self._token = None
        self._token = self.password_token(ADMIN_USER, ADMIN_PASSWORD, ADMIN_PROJECT)[0]
        return self._token

    def create(self, kind, **fields):
        """POST /v3/<kind>s {<kind>: fields} -> the new entity (dict)."""
        return self.request("POST", "/%ss" % kind, {kind: fields}).json[kind]

    def find(self, kind, name):
        items = self.request("GET", "/%ss?name=%s" % (kind, name)).json[kind + "s"]
        if len(items) != 1:
            raise KeystoneError("%d %ss named %r" % (len(items), kind, name))
        return items[0]

    def grant(self, role, user_id, project_id):
        role_id = self.find("role", role)["id"]
        self.request("PUT", "/projects/%s/users/%s/roles/%s" % (project_id, user_id, role_id))


class KeystoneSwift:
    """Keystone plus a Keystone-authenticating proxy on a running SwiftServer,
    with a service catalog that has something to choose from:

      object-store  RegionOne public    the Keystone proxy
                    RegionOne internal  a pass-through FaultProxy in front of
                                        it (.internal: its .requests count
                                        shows which interface was used)
                    RegionTwo public and internal: a FaultProxy in "refuse"
                                        mode (.dead: connections refused)

    and user USER (domain USER_DOMAIN) with role member on project PROJECT
    (domain PROJECT_DOMAIN; two different domains, so that mixing up
    OS_USER_DOMAIN_NAME and OS_PROJECT_DOMAIN_NAME fails)."""

    USER, PASSWORD, USER_DOMAIN = "archiver", "RIGHT-pw-canary-5b1e0c", "people"
    PROJECT, PROJECT_DOMAIN = "logs", "ops"

    def __init__(self, swift_server, base_dir=None):
        self.swift = swift_server
        self.keystone = KeystoneServer(base_dir)
        self.internal = self.dead = None
        self.startup_seconds = None

    def start(self):
        from .servers import FaultProxy
        t0 = time.monotonic()
        try:
            k = self.keystone.start()
            self.endpoint = self.swift.start_keystone_proxy(k.v3_url, ADMIN_USER, ADMIN_PASSWORD, ADMIN_PROJECT)
            self.internal = FaultProxy((HOST, self.swift.keystone_proxy_port))
            self.dead = FaultProxy((HOST, self.swift.keystone_proxy_port))
            self.dead.mode = "refuse"
            k.create("region", id="RegionTwo")
            # the proxy's authtoken finds Keystone through the catalog
            identity = k.create("service", type="identity", name="keystone")
            for interface in ("public", "internal"):
                k.create("endpoint", service_id=identity["id"], region_id=REGION,
                         interface=interface, url=k.v3_url)
            service = k.create("service", type="object-store", name="swift")
            path = "/v1/AUTH_$(project_id)s"
            for region, interface, base in ((REGION, "public", self.endpoint),
                                            (REGION, "internal", self.internal.url_for()),
                                            ("RegionTwo", "public", self.dead.url_for()),
                                            ("RegionTwo", "internal", self.dead.url_for())):
                k.create("endpoint", service_id=service["id"], region_id=region,
                         interface=interface, url=base + path)
            user_domain = k.create("domain", name=self.USER_DOMAIN)
            project_domain = k.create("domain", name=self.PROJECT_DOMAIN)
            self.project_id = k.create("project", name=self.PROJECT, domain_id=project_domain["id"])["id"]
            user = k.create("user", name=self.USER, domain_id=user_domain["id"], password=self.PASSWORD)
            k.grant("member", user["id"], self.project_id)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    @property
    def storage_url(self):
        return "%s/v1/AUTH_%s" % (self.endpoint, self.project_id)

    def env(self, **overrides):
        """The swift CLI's OS_* variables for USER on PROJECT (RegionOne,
        public); overrides with value None drop a variable."""
        env = {"OS_AUTH_URL": self.keystone.v3_url, "OS_IDENTITY_API_VERSION": "3",
               "OS_USERNAME": self.USER, "OS_PASSWORD": self.PASSWORD,
               "OS_PROJECT_NAME": self.PROJECT, "OS_USER_DOMAIN_NAME": self.USER_DOMAIN,
               "OS_PROJECT_DOMAIN_NAME": self.PROJECT_DOMAIN, "OS_REGION_NAME": REGION,
               "OS_INTERFACE": "public"}
        env.update(overrides)
        return {k: v for k, v in env.items() if v is not None}

    def stop(self):
        for fp in (self.internal, self.dead):
            if fp is not None:
                fp.close()
        self.internal = self.dead = None
        self.swift.stop_keystone_proxy()
        self.keystone.stop()


# ------------------------------------------------- run inside .venv-keystone
def _serve(data_dir):
    """db_sync + bootstrap + serve, in one process (keystone venv only)."""
    import socketserver
    from wsgiref import simple_server

    conf = os.path.join(data_dir, "keystone.conf")
    with open(conf, "w") as f:
        f.write(_CONF.format(d=data_dir))
    # two Fernet keys per repository (0 = staged, 1 = primary), as
    # `keystone-manage fernet_setup` / `credential_setup` would write them
    for repo in ("fernet-keys", "credential-keys"):
        path = os.path.join(data_dir, repo)
        os.makedirs(path, mode=0o700)
        for i in (0, 1):
            fd = os.open(os.path.join(path, str(i)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.urlsafe_b64encode(os.urandom(32)).decode())

    sys.argv = sys.argv[:1]  # oslo.config parses the command line
    import keystone.server
    from keystone.cmd import bootstrap
    from keystone.common import provider_api
    from keystone.common.sql import upgrades
    from keystone.server.flask import application, core

    keystone.server.configure(config_files=[conf])
    upgrades.offline_sync_database_to_version()  # keystone-manage db_sync
    boot = bootstrap.Bootstrapper()              # keystone-manage bootstrap
    boot.admin_username, boot.admin_password = ADMIN_USER, ADMIN_PASSWORD
    boot.project_name, boot.admin_role_name, boot.region_id = ADMIN_PROJECT, "admin", REGION
    boot.bootstrap()
    provider_api.ProviderAPIs._clear_registry_instances()  # setup_backends registers them again
    _unused, app = keystone.server.setup_backends(
        startup_application_fn=lambda: application.application_factory("public"))
    app = core.setup_app_middleware(app)

    class Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
        daemon_threads = True

    class Handler(simple_server.WSGIRequestHandler):
        def address_string(self):  # no reverse DNS per request
            return self.client_address[0]

    httpd = simple_server.make_server(HOST, 0, app, server_class=Server, handler_class=Handler)
    tmp = os.path.join(data_dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(httpd.server_port))
    os.rename(tmp, os.path.join(data_dir, "port"))
    print("keystone serving on %s:%d" % (HOST, httpd.server_port), flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        _serve(sys.argv[2])
    elif sys.argv[1:2] == ["venv"]:
        t0 = time.monotonic()
        print("keystone venv: %s (%.0fs)" % (ensure_venv(log=sys.stderr), time.monotonic() - t0))
    else:
        sys.exit("usage: keystone_server.py venv | serve DATA_DIR")
