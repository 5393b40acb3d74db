"""Build a fresh store of each contract target on the real test servers.

What a backend can do is its own declaration (backend.capabilities); what
differs per server is set up here, never `if name ==` in the tests themselves.
"""
import hashlib
import os
import pathlib
import shutil
import tempfile
import uuid

from swiftrotate.backends.local import LocalBackend
from swiftrotate.backends.s3 import S3Backend
from swiftrotate.backends.swift import SwiftBackend

TARGETS = ["local", "swift", "s3-swift", "s3-rclone", "s3-seaweed"]
MIB = 1024 * 1024


class Store:
    """A backend plus what the test needs to know about its server."""

    def __init__(self, target, backend, url, corrupt, options, env=None):
        self.target, self.backend, self.url, self.corrupt = target, backend, url, corrupt
        self.options = options  # what a config file would hold for it
        self.env = env or {}
        self.segment_threshold = getattr(backend, "segment_threshold", None) or getattr(
            backend, "multipart_threshold", None)

    def download(self, key, dest):
        """download() from this store."""
        return download(self.backend, key, dest)

    def leftovers(self):
        """What a failed upload may leave besides the object: Swift segments,
        unfinished S3 multipart uploads, the folder store's temp files."""
        backend = self.backend
        if self.target == "local":
            from swiftrotate.backends.local import TMP_PREFIX

            return sorted(str(p) for p in pathlib.Path(backend.root).rglob(TMP_PREFIX + "*"))
        if self.target == "swift":
            segments = make_backend(self.target, f"swift://{backend.segment_container}", self.options)
            try:
                return sorted(o.key for o in segments.list())
            finally:
                segments.close()
        uploads = backend.client.list_multipart_uploads(Bucket=backend.bucket).get("Uploads", [])
        return sorted(u["Key"] for u in uploads)

    def fresh(self, **overrides):
        """Another backend on the same container/bucket with other options."""
        return make_backend(self.target, self.url, {**self.options, **overrides})


def download(backend, key, dest):
    """Read `key` through open_read into a temp file beside `dest`, renamed
    into place only when size and sha256 match the stored metadata (what
    Backend.get did; fetch has its own verified download). Raises
    IntegrityError, leaving no file, or NotFound."""
    from swiftrotate.backends._transfer import check_content

    info, chunks = backend.open_read(key)
    fd, tmp = tempfile.mkstemp(prefix=".swiftrotate-", suffix=".part", dir=os.path.dirname(os.path.abspath(dest)))
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        check_content(key, info, size, digest.hexdigest())
        os.rename(tmp, dest)
    except BaseException:
        os.unlink(tmp)
        raise
    return info


def bucket_name():
    return "t" + uuid.uuid4().hex[:20]


def make_backend(target, url, options):
    from swiftrotate.backends import get_backend

    return get_backend(url, options)


def make_store(target, tmp_path, swift=None, rclone=None, seaweed=None, **extra):
    name = bucket_name()
    if target == "local":
        root = str(tmp_path / "store")
        options = dict(extra)
        backend = LocalBackend(root, **options)

        def corrupt(key, data):
            path = os.path.join(root, *key.split("/"))
            with open(path, "r+b") as f:
                f.write(data)

        return Store(target, backend, "file://" + root, corrupt, options)
    if target == "swift":
        options = dict(auth_url=swift.auth_url, user=swift.user, key=swift.key, segment_size=5 * MIB,
                       retries=1, backoff=0.1, **extra)
        backend = SwiftBackend(name, **options)
        return Store(target, backend, f"swift://{name}", _swift_corrupter(swift, name), options,
                     env=swift.env())
    if target == "s3-swift":
        options = dict(endpoint_url=swift.endpoint, region="us-east-1", access_key_id="test:tester",
                       secret_access_key="testing", multipart_threshold=6 * MIB, part_size=5 * MIB,
                       retries=1, **extra)
        backend = S3Backend(name, **options)
        return Store(target, backend, f"s3://{name}", _swift_corrupter(swift, name), options)
    if target == "s3-rclone":
        # rclone returns whole-object CRC32s: botocore >= 1.36 needs when_required.
        options = dict(endpoint_url=rclone.endpoint, region="us-east-1", access_key_id=rclone.access_key,
                       secret_access_key=rclone.secret_key, multipart_threshold=6 * MIB,
                       part_size=5 * MIB, checksum="when_required", retries=1, **extra)
        backend = S3Backend(name, **options)

        def corrupt(key, data):
            path = os.path.join(rclone.data_dir, name, *key.split("/"))
            with open(path, "r+b") as f:
                f.write(data)

        return Store(target, backend, f"s3://{name}", corrupt, options)
    if target == "s3-seaweed":
        options = dict(endpoint_url=seaweed.endpoint, region="us-east-1", access_key_id=seaweed.access_key,
                       secret_access_key=seaweed.secret_key, addressing_style="path",
                       multipart_threshold=6 * MIB, part_size=5 * MIB, retries=1, **extra)
        backend = S3Backend(name, **options)

        def corrupt(key, data):  # its volumes are opaque: rewrite through S3, keeping the metadata
            client = seaweed.client()
            old = client.get_object(Bucket=name, Key=key)
            body = old["Body"].read()
            client.put_object(Bucket=name, Key=key, Body=data + body[len(data):], Metadata=old["Metadata"])

        return Store(target, backend, f"s3://{name}", corrupt, options)
    raise ValueError(target)


def _swift_corrupter(swift, container):
    """Overwrite an object's bytes server-side, keeping its metadata."""

    def corrupt(key, data):
        import swiftclient

        conn = swiftclient.Connection(authurl=swift.auth_url, user=swift.user, key=swift.key)
        headers, body = conn.get_object(container, key)
        keep = {k: v for k, v in headers.items() if k.lower().startswith("x-object-meta-")}
        new = data + body[len(data):]
        conn.put_object(container, key, new, headers=keep)
        conn.close()

    return corrupt


def cleanup(store):
    try:
        for info in list(store.backend.list()):
            try:
                store.backend.delete(info.key)
            except Exception:
                pass
    finally:
        store.backend.close()
        if store.target == "local":
            shutil.rmtree(store.backend.root, ignore_errors=True)


def config_for(store, tmp_path, sections_extra=None, **general):
    """An INI file that points the real command at this store."""
    from .clirun import write_config

    section = "file" if store.target == "local" else "swift" if store.target == "swift" else "s3"
    sections = {"swiftrotate": {"dest": store.url, "state_dir": str(tmp_path / "state"), "host": "web01",
                                "settle_seconds": "0", **general}}
    if store.options:
        sections[section] = {k: v for k, v in store.options.items()}
    sections.update(sections_extra or {})
    return write_config(tmp_path / "swiftrotate.conf", sections)


def behind_proxy(target, swift_server, proxy, name, **options):
    """A Swift or S3 (Swift's s3api) store reached through `proxy` (a
    FaultProxy in front of the test Swift): (dest URL, config sections for
    swiftrotate, a backend that talks to the server directly)."""
    if target == "swift":
        section = {"swift": {"auth_url": proxy.url_for("/auth/v1.0"), "user": "test:tester", "key": "testing",
                             "retries": "0", "connect_timeout": "2", **options}}
        return f"swift://{name}", section, SwiftBackend(name, auth_url=swift_server.auth_url, user="test:tester",
                                                        key="testing")
    section = {"s3": {"endpoint_url": proxy.url_for(), "region": "us-east-1", "access_key_id": "test:tester",
                      "secret_access_key": "testing", "retries": "0", "connect_timeout": "2", **options}}
    return f"s3://{name}", section, S3Backend(name, endpoint_url=swift_server.endpoint, region="us-east-1",
                                              access_key_id="test:tester", secret_access_key="testing")
