"""swift://CONTAINER[/PREFIX]: OpenStack Swift through python-swiftclient.

Small files are one PUT with etag=MD5, which Swift checks (422 otherwise).
Files above `segment_threshold` go up as a Static Large Object: segments in
parallel into `<container>_segments`, each PUT's returned ETag compared with
the MD5 of what we sent, then a manifest listing every segment's MD5 (SLO
re-checks them) carrying our sha256/size metadata. Nothing is visible at the
key until the manifest is accepted; a failed upload deletes its segments.
Declares exclusive create (If-None-Match: *), expiry by X-Delete-After and
leftover parts (segments): see Capabilities.

Owns the connection (swiftclient imported lazily, keystone hidden for v1
auth), error translation, plain objects and the swift:// URL with the
swift CLI's environment. Listings are swift_listing.py's. Segments and
manifests (upload, read-back, verify, repair, leftovers) are swift_slo.py's:
this module only chooses an SLO for a big file and deletes one whole
(multipart-manifest=delete).
"""
import logging
import os
import threading
from urllib.parse import quote

from ..errors import (AuthError, BackendError, ConfigError, Conflict, Incomplete, IntegrityError, NotFound,
                      SwiftrotateError, TransientError)
from ._transfer import (BytesBody, CHUNK, MIB, RangeChunks, SMALL, content_type, file_md5, integrity_metadata,
                        md5_of, parse_metadata, resolve, small_body, tls_refusal, unreachable)
from .base import MISSING_HINT, Backend, Capabilities, ObjectInfo
from .swift_listing import ListingMixin
from .swift_slo import SloMixin

log = logging.getLogger("swiftrotate")


def _send_chunks_as_is(swiftclient):
    """swiftclient wraps an iterable body in a generator, which makes
    requests drop the Content-Length and announce chunked encoding while
    sending plain bytes. Our RangeChunks has a length: pass it through."""
    client = swiftclient.client
    if getattr(client.iter_wrapper, "_swiftrotate", False):
        return
    original = client.iter_wrapper

    def iter_wrapper(iterable):
        return iterable if isinstance(iterable, (RangeChunks, BytesBody)) else original(iterable)

    iter_wrapper._swiftrotate = True
    client.iter_wrapper = iter_wrapper

META = "x-object-meta-"
# What python-swiftclient 4.x imports at start when keystoneclient is
# installed: its module attribute -> that module.
_KEYSTONE_PARTS = {
    "ksexceptions": "keystoneclient.exceptions", "ksclient_v2": "keystoneclient.v2_0.client",
    "ksclient_v3": "keystoneclient.v3.client", "ksa_v3": "keystoneauth1.identity.v3",
    "ksa_session": "keystoneauth1.session", "ksauthexceptions": "keystoneauth1.exceptions",
}


def _import_swiftclient(keystone):
    """python-swiftclient imports keystoneclient at start whenever it is
    installed: about 0.2 s of CPU and 10 MiB, more than a small upload
    costs, and v1 auth (tempauth, swauth) never uses it. Hide it then."""
    import importlib
    import sys

    if not keystone and "swiftclient" not in sys.modules:
        hidden = [name for name in ("keystoneclient", "keystoneauth1") if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # makes `import name` fail, which swiftclient tolerates
        try:
            import swiftclient
        finally:
            for name in hidden:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]
        return swiftclient
    import swiftclient

    client = swiftclient.client
    if keystone and getattr(client, "ksclient_v3", None) is None:
        # this process hid keystoneclient for an earlier v1 store: bring it back
        try:
            for attr, module in _KEYSTONE_PARTS.items():
                setattr(client, attr, importlib.import_module(module))
        except ImportError:
            pass  # not installed: swiftclient says so at login, and we translate that
    return swiftclient


class SwiftBackend(ListingMixin, SloMixin, Backend):
    scheme = "swift"
    capabilities = Capabilities(exclusive_create=True, object_expiry=True, leftover_parts=True,
                                server_checksum=True, reverse_listing=True)
    create_option = "create_container"

    def __init__(self, container, prefix="", *, auth_url=None, user=None, key=None,
                 auth_version=None, os_options=None, insecure=False, cacert=None,
                 segment_size=64 * MIB, segment_threshold=None, segment_container=None,
                 segment_threads=4, create_container=True, connect_timeout=10.0,
                 read_timeout=60.0, retries=3, backoff=0.5, max_backoff=8.0,
                 list_page_size=1000, credentials_from=""):
        auth_version = str(auth_version or "1")
        # imported here: the no-op hook path never needs it
        self._swiftclient = swiftclient = _import_swiftclient(keystone=auth_version not in ("1", "1.0"))
        _send_chunks_as_is(swiftclient)
        if not container:
            raise ConfigError("swift:// store needs a container", "write swift://CONTAINER[/PREFIX]")
        self.container = container
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.segment_size = int(segment_size)
        self.segment_threshold = int(segment_threshold or self.segment_size)
        self.segment_container = segment_container or container + "_segments"
        self.segment_threads = max(1, int(segment_threads))
        self.create_container = create_container
        self.list_page_size = int(list_page_size)
        self.credentials_from = credentials_from
        if not auth_url:
            raise ConfigError("no Swift auth URL",
                              "set ST_AUTH (v1) or OS_AUTH_URL (Keystone), or auth_url in [swift]")
        self._conn_args = dict(
            authurl=auth_url, user=user, key=key, auth_version=auth_version,
            os_options=os_options or {}, insecure=bool(insecure), cacert=cacert,
            retries=int(retries), starting_backoff=float(backoff), max_backoff=float(max_backoff),
            # python-swiftclient has no timeout by default: a stalled server
            # would hang logrotate, which holds its state lock meanwhile.
            timeout=_Timeouts((float(connect_timeout), float(read_timeout))),
        )
        self._local = threading.local()
        self._containers_ok = set()

    # -- connections ---------------------------------------------------------
    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            args = dict(self._conn_args)
            token = getattr(self, "_auth", None)
            if token:  # reuse the token across worker threads
                args.update(preauthurl=token[0], preauthtoken=token[1])
            conn = self._local.conn = self._swiftclient.client.Connection(**args)
        return conn

    def _call(self, what, fn, *args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            conn = self._conn()
            if conn.url and conn.token:
                self._auth = (conn.url, conn.token)
            return result
        except self._swiftclient.ClientException as exc:
            raise self._translate(exc, what) from None
        except Exception as exc:  # requests/socket errors after retries
            if isinstance(exc, (IntegrityError, BackendError, ConfigError)):
                raise
            if isinstance(exc, (TypeError, AttributeError, NameError, AssertionError)):
                # a bug (ours or a library's), not the network: no retry will fix it
                raise SwiftrotateError(f"Swift: {what}: internal error {type(exc).__name__}: {_short(exc)} "
                                       "(please report it)") from exc
            request = getattr(exc, "request", None)
            url = getattr(request, "url", None) or self._conn_args["authurl"]
            refused = tls_refusal(exc, f"Swift: {what}", url,
                                  "cacert = /path/to/ca.pem in [swift] or SWIFTROTATE_SWIFT_CACERT", "auth_url")
            raise refused or unreachable(exc, f"Swift: {what}", url, "auth_url (or the catalog's storage URL)") \
                from None

    def _translate(self, exc, what):
        status = exc.http_status
        text = _short(exc.msg if hasattr(exc, "msg") else exc)
        if status == 404:
            return NotFound(f"Swift: {what}: not found")
        if status is None and text.startswith("Endpoint for ") and "not found" in text:
            opts = self._conn_args["os_options"]
            return ConfigError(
                f"Swift: {what}: Keystone's catalog has no {opts.get('service_type', 'object-store')} "
                f"endpoint for region {opts.get('region_name', '(any)')!r}, "
                f"interface {opts.get('endpoint_type', 'public')!r}",
                "check OS_REGION_NAME and OS_INTERFACE/OS_ENDPOINT_TYPE (os_region_name, os_interface in [swift])")
        if status in (401, 403) or (status is None and "auth" in text.lower()):
            if "keystoneclient" in text or "keystoneauth" in text:
                return ConfigError("Swift: Keystone auth (OS_AUTH_URL, or auth_version 2/3) needs "
                                   "python-keystoneclient, which is not installed",
                                   "pip install python-keystoneclient, or use v1 auth (ST_AUTH, ST_USER, ST_KEY)")
            return AuthError(f"Swift: {what}: authorization failed ({status or text})",
                             f"check the credentials: {self.credentials_from or 'the user and key given'}")
        if status == 422:
            return IntegrityError(f"Swift: {what}: server rejected our MD5 (422 Unprocessable Entity)")
        if status == 409 and what.startswith("GET "):  # a large object whose segment is gone
            return Incomplete(f"Swift: {what}: 409 Conflict: a segment of this large object is missing",
                              "it cannot be read; an upload run on the host that still has the log repairs it")
        if status == 412:  # only our exclusive PUT sends a precondition
            return Conflict(f"Swift: {what}: the key was taken meanwhile (412); not overwriting")
        if status is None or status >= 500 or status in (408, 429, 498, 499):
            return TransientError(f"Swift: {what}: {status or text}",
                                  "the server is unavailable; the next run retries")
        return BackendError(f"Swift: {what}: HTTP {status} {text}")

    def prepare(self):
        """Authenticate (with retries) and check the container once here,
        so that worker threads reuse one token instead of each logging in."""
        self._ensure_container(self.container)

    def _full(self, key):
        return self.prefix + key
    def _ensure_container(self, name):
        if name in self._containers_ok:
            return
        try:
            self._call(f"container {name}", self._conn().head_container, name)
        except NotFound:
            if not self.create_container:
                raise NotFound(f"Swift container {name} does not exist",
                               "create it, or allow create_container in [swift]") from None
            self._call(f"create container {name}", self._conn().put_container, name)
            # always said: a misspelled container would otherwise fill up unseen
            log.warning("created Swift container %s (set create_container = no in [swift] to refuse instead)",
                        name)
        self._containers_ok.add(name)

    # -- the contract --------------------------------------------------------
    def check_container(self):
        try:
            self._call(f"container {self.container}", self._conn().head_container, self.container)
        except NotFound:
            raise NotFound(f"Swift container {self.container} does not exist", MISSING_HINT) from None

    def put(self, key, path, *, size, sha256, metadata=None, expire_after=None, exclusive=False):
        name = self._full(key)

        def headers():
            # swiftclient URL-decodes header values on the way back; encode
            # ours so that a '%' in a path survives the round trip.
            out = {META + k: quote(v, safe=" /:.,=-_~+@")
                   for k, v in integrity_metadata(size, resolve(sha256), metadata).items()}
            out["content-type"] = content_type(key)
            if expire_after:  # also set on every segment: swift upload forgets those
                out["x-delete-after"] = str(int(expire_after))
            if exclusive:  # Swift answers 412 if the key exists (for an SLO: the manifest's key)
                out["if-none-match"] = "*"
            return out

        self._ensure_container(self.container)
        if size > self.segment_threshold:
            etag = self._put_slo(name, path, size, headers, expire_after)
        else:
            etag = self._put_plain(name, path, size, headers(), sha256)
        sha256 = resolve(sha256)
        return ObjectInfo(key, size, sha256, integrity_metadata(size, sha256, metadata), etag=etag)

    def _put_plain(self, name, path, size, headers, sha256=None):
        if size <= SMALL:  # one read: the body and both hashes come from the same bytes
            data = small_body(path, size, sha256)
            return self._call(f"upload {name}", self._conn().put_object, self.container, name,
                              BytesBody(data) if data else data, content_length=size, etag=md5_of(data).hexdigest(),
                              headers=headers)
        md5 = file_md5(path).hexdigest()
        with RangeChunks(path, 0, size) as body:
            etag = self._call(f"upload {name}", self._conn().put_object, self.container, name,
                              body, content_length=size, etag=md5, headers=headers)
        if body.md5.hexdigest() != md5:
            self._delete_quietly(name)
            raise IntegrityError(f"{path} changed while it was uploaded")
        return etag

    def stat(self, key):
        name = self._full(key)
        headers = self._call(f"HEAD {name}", self._conn().head_object, self.container, name)
        return self._info(key, headers)

    def _info(self, key, headers):
        raw = {k[len(META):]: v for k, v in headers.items() if k.lower().startswith(META)}
        sha, meta = parse_metadata(raw)
        mtime = headers.get("x-timestamp")
        return ObjectInfo(key, int(headers.get("content-length", 0)), sha, meta,
                          etag=headers.get("etag"), mtime=float(mtime) if mtime else None)

    def open_read(self, key):
        name = self._full(key)
        headers, body = self._call(f"GET {name}", self._conn().get_object, self.container, name,
                                   resp_chunk_size=CHUNK)
        return self._info(key, headers), self._guard(body, name)

    def _guard(self, body, name):
        try:
            yield from body
        except Exception as exc:
            raise TransientError(f"Swift: reading {name}: {_short(exc)}") from None

    def delete(self, key):
        name = self._full(key)
        headers = self._call(f"HEAD {name}", self._conn().head_object, self.container, name)
        # An SLO's manifest DELETE also removes its segments (and answers 200
        # even for a missing key, hence the HEAD above).
        query = "multipart-manifest=delete" if headers.get("x-static-large-object") else None
        self._call(f"DELETE {name}", self._conn().delete_object, self.container, name,
                   query_string=query)

    def _delete_quietly(self, name, container=None):
        try:
            self._conn().delete_object(container or self.container, name)
        except Exception:
            pass

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()


def _short(exc):
    """The first non-blank line (swiftclient starts some messages with a newline)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(exc).__name__


class _Timeouts(tuple):
    """(connect, read) for requests. python-swiftclient also hands the same
    value to keystoneclient's Session, which calls float() on it: give it
    the longer one, so that Keystone auth is bounded too instead of failing."""

    def __float__(self):
        return max(self)


def from_url(netloc, path, options):
    """swift://CONTAINER/PREFIX plus [swift] options and the swift CLI's env."""
    env = os.environ
    opts = dict(options)

    def os_opt(name):  # os_NAME in [swift] wins over the environment's OS_NAME
        return opts.pop("os_" + name, None) or env.get("OS_" + name.upper())

    given = opts.pop("credentials_from", "")  # where config.py read a secret option from
    auth_url = opts.pop("auth_url", None) or env.get("ST_AUTH")
    user = opts.pop("user", None) or env.get("ST_USER")
    key_from = given if "key" in opts else "ST_USER/ST_KEY from the environment" if env.get("ST_KEY") else ""
    key = opts.pop("key", None) or env.get("ST_KEY")
    version = opts.pop("auth_version", None)
    os_auth_url, os_user, os_password = os_opt("auth_url"), os_opt("username"), os_opt("password")
    os_version = os_opt("auth_version") or os_opt("identity_api_version")
    os_options = {}
    for name in ("project_name", "project_id", "tenant_name", "tenant_id", "user_domain_name",
                 "user_domain_id", "project_domain_name", "project_domain_id", "region_name",
                 "endpoint_type", "interface", "object_storage_url", "storage_url", "auth_token"):
        value = os_opt(name)
        if value:
            os_options[name] = value
    if "storage_url" in os_options:  # the swift CLI's OS_STORAGE_URL
        os_options.setdefault("object_storage_url", os_options.pop("storage_url"))
    if not auth_url and os_auth_url:
        if os_password:
            key_from = given if "os_password" in options else "OS_USERNAME/OS_PASSWORD from the environment"
        auth_url, user, key = os_auth_url, os_user or user, os_password or key
        # like the swift CLI: v3 when the URL or any domain setting says so
        version = version or os_version or (
            "3" if "/v3" in auth_url or any(k.endswith(("domain_name", "domain_id")) for k in os_options)
            else "2.0")
    if "interface" in os_options:  # the swift CLI's --os-interface == endpoint_type
        os_options.setdefault("endpoint_type", os_options.pop("interface") + "URL"
                              if not os_options["interface"].endswith("URL") else os_options["interface"])
        os_options.pop("interface", None)
    if "auth_token" in os_options:
        key_from = given if "os_auth_token" in options else "OS_AUTH_TOKEN from the environment"
    if "tenant_name" in os_options:
        opts.setdefault("tenant_name", os_options["tenant_name"])
    opts.pop("tenant_name", None)
    return SwiftBackend(netloc, path, auth_url=auth_url, user=user, key=key,
                        auth_version=version, os_options=os_options, credentials_from=key_from, **opts)
