"""Store-level "nothing lost" checks, on a backend that talks to the server
directly (never through a FaultProxy):

    check_objects(backend)    every listed object reads back whole: GET works,
                              size == listed == HEAD size, sha256 of the bytes
                              == our sha256 metadata. Returns key -> bytes.
    stray_leftovers(backend)  what an upload may leave besides objects: Swift
                              segments no manifest in the container lists, open
                              S3 multipart uploads, the folder store's temp
                              files. [] means clean.
"""
import hashlib
import json
import pathlib
from urllib.parse import unquote


def check_objects(backend):
    """Assert that every object in `backend` reads back whole and matches its
    own size and sha256 metadata; return {key: bytes}."""
    out = {}
    listed = list(backend.list())
    keys = [o.key for o in listed]
    assert len(keys) == len(set(keys)), f"the listing repeats keys: {keys}"
    for item in listed:
        key = item.key
        try:
            head = backend.stat(key)
        except Exception as exc:
            raise AssertionError(f"{key}: listed, but HEAD fails: {type(exc).__name__}: {exc}") from None
        try:
            info, chunks = backend.open_read(key)
            data = b"".join(chunks)
        except Exception as exc:  # e.g. a Swift SLO with a missing segment: 409 Conflict
            raise AssertionError(f"{key}: GET fails: {type(exc).__name__}: {exc}") from None
        sha = hashlib.sha256(data).hexdigest()
        assert head.sha256, f"{key}: no sha256 metadata (HEAD shows {head.metadata})"
        assert len(data) == item.size == head.size == info.size, (
            f"{key}: read {len(data)} bytes, listed {item.size}, HEAD {head.size}, GET {info.size}")
        assert sha == head.sha256 == info.sha256, (
            f"{key}: bytes have sha256 {sha}, metadata says {head.sha256} (HEAD) / {info.sha256} (GET)")
        out[key] = data
    return out


def stray_leftovers(backend):
    """Sorted descriptions of everything an upload left behind that no
    object needs; [] when clean."""
    from swiftrotate.backends.local import LocalBackend
    from swiftrotate.backends.s3 import S3Backend
    from swiftrotate.backends.swift import SwiftBackend

    if isinstance(backend, SwiftBackend):
        return _swift_strays(backend)
    if isinstance(backend, S3Backend):
        return _s3_open_uploads(backend)
    if isinstance(backend, LocalBackend):
        from swiftrotate.backends.local import TMP_PREFIX

        return sorted(f"temp file {p}" for p in pathlib.Path(backend.root).rglob(TMP_PREFIX + "*"))
    raise TypeError(f"no leftover check for {type(backend).__name__}")


def _swift_listing(conn, container):
    from swiftclient.client import ClientException

    try:
        return [item["name"] for item in conn.get_container(container, full_listing=True)[1]]
    except ClientException as exc:
        if exc.http_status == 404:
            return []
        raise


def _swift_strays(backend):
    conn = backend._conn()
    segments = _swift_listing(conn, backend.segment_container)
    if not segments:
        return []
    referenced = set()
    for name in _swift_listing(conn, backend.container):
        headers = conn.head_object(backend.container, name)
        if not headers.get("x-static-large-object"):
            continue  # a plain object: its GET ?multipart-manifest=get would be the data
        _, body = conn.get_object(backend.container, name, query_string="multipart-manifest=get")
        for entry in json.loads(body):
            referenced.add(unquote(entry["name"]).lstrip("/"))
    prefix = backend.segment_container + "/"
    return sorted(f"swift segment {prefix}{seg}" for seg in segments if prefix + unquote(seg) not in referenced)


def _s3_open_uploads(backend):
    client, out, kwargs = backend.client, [], {"Bucket": backend.bucket}
    while True:
        try:
            page = client.list_multipart_uploads(**kwargs)
        except backend._bexc.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
                return []
            raise
        out += [f"s3 multipart upload {u['Key']} ({u['UploadId']})" for u in page.get("Uploads", [])]
        if not page.get("IsTruncated"):
            return sorted(out)
        kwargs.update(KeyMarker=page.get("NextKeyMarker", ""), UploadIdMarker=page.get("NextUploadIdMarker", ""))
