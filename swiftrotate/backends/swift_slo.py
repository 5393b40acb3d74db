"""Swift Static Large Objects: what a segmented upload stores and leaves.

Owns everything that knows an SLO is made of parts: uploading the segments
in parallel and then the manifest (SLO re-checks each segment's MD5), the
read-back after a manifest PUT that failed or seemed to, reading a manifest,
verify() (are all segments there?), repair() (put missing ones back from the
local copy) and clear_leftovers() (segments no manifest at the key lists).

SloMixin is mixed into SwiftBackend and uses its plumbing (_call, _conn,
_guard, _full, _ensure_container, _delete_quietly, _info, stat, container,
segment_container, segment_size, segment_threads, segment_threshold). It
must not open connections, translate errors or parse URLs itself: swift.py
does that.
"""
import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

from ..errors import AuthError, ConfigError, Incomplete, IntegrityError, NotFound, SwiftrotateError, TransientError
from ._transfer import CHUNK, RangeChunks


class SloMixin:
    """The SLO half of SwiftBackend (see the module docstring)."""

    def needs_cleanup(self, size):
        return size > self.segment_threshold

    def _put_slo(self, name, path, size, headers, expire_after):
        self._ensure_container(self.segment_container)
        stamp = "%.6f" % time.time()
        seg_base = f"{name}/slo/{stamp}/{size}/{self.segment_size}"
        ranges = [(i, off, min(self.segment_size, size - off))
                  for i, off in enumerate(range(0, size, self.segment_size))]
        done = []
        seg_headers = {"x-delete-after": str(int(expire_after))} if expire_after else {}

        def upload(item):
            idx, off, length = item
            seg = f"{seg_base}/{idx:08d}"
            done.append(seg)  # before the PUT: its answer may be lost after Swift stored it
            sent = self._put_segment(self.segment_container, seg, path, off, length, seg_headers)
            return {"path": f"/{self.segment_container}/{seg}", "etag": sent, "size_bytes": length}

        try:
            with ThreadPoolExecutor(self.segment_threads) as pool:
                manifest = list(pool.map(upload, ranges))
        except BaseException:
            # No manifest was sent, so nothing can reference these segments.
            for seg in done:
                self._delete_quietly(seg, self.segment_container)
            raise
        expect = hashlib.md5("".join(m["etag"] for m in manifest).encode()).hexdigest()
        try:
            etag = self._call(f"upload manifest {name}", self._conn().put_object, self.container,
                              name, json.dumps(manifest), headers=headers(), query_string="multipart-manifest=put")
        except SwiftrotateError as exc:
            self._after_manifest_failure(name, manifest, exc)
            etag = '"%s"' % expect  # the manifest at the key is ours: a lost answer, not a failure
        if etag.strip('"') != expect:
            self._delete_quietly(name)
            raise IntegrityError(f"Swift: manifest {name} has ETag {etag}, expected {expect}")
        return etag

    def _put_segment(self, container, seg, path, off, length, headers):
        """PUT one segment from a byte range; returns the MD5 we sent."""
        with RangeChunks(path, off, length) as body:
            etag = self._call(f"upload segment {seg}", self._conn().put_object,
                              container, seg, body, content_length=length, headers=headers)
            sent = body.md5.hexdigest()
        if etag.strip('"') != sent:
            raise IntegrityError(f"Swift: segment {seg} stored with ETag {etag}, we sent MD5 {sent}")
        return sent

    def _after_manifest_failure(self, name, manifest, exc):
        """The manifest PUT failed, or seemed to. Its segments may be deleted
        only when it is proven that no manifest at the key lists them: a lost
        answer (swiftclient's retry then meets our own manifest: 412), or a
        read timeout while Swift checks the segments, can hide a committed
        manifest. Returns when the key holds our manifest; raises otherwise."""
        ours = [m["path"] for m in manifest]
        # Even a definite refusal (400, 422, 401) may answer swiftclient's
        # retry of a first attempt that was stored: read back before deleting.
        try:
            stored = self._read_manifest(name)
        except SwiftrotateError:
            raise TransientError(f"{exc} (and the manifest could not be read back, so its segments are kept "
                                 "until a run can tell whether they are used)",
                                 "the next run decides and cleans up") from None
        if stored is not None and [path for path, _, _ in stored] == ours:
            return
        if not isinstance(exc, TransientError):  # Swift answered: our PUT is over, and not at the key
            self._delete_segments(ours)
        # else a PUT still running in the proxy may yet commit: the segments
        # stay for a later run's clear_leftovers (the caller's intent row).
        raise exc

    def _delete_segments(self, paths):
        for path in paths:
            self._delete_quietly(path.split("/", 2)[2], self.segment_container)

    def _read_manifest(self, name):
        """(segment path "/container/segment", size, MD5) of each segment the
        SLO at `name` lists; [] for a plain object, None when nothing is at
        the key. Raises TransientError (or another error) when that cannot
        be told."""
        try:
            # streamed: a plain object at the key is not read into memory
            headers, body = self._call(f"GET manifest {name}", self._conn().get_object, self.container, name,
                                       query_string="multipart-manifest=get", resp_chunk_size=CHUNK)
        except NotFound:
            return None
        try:
            if str(headers.get("x-static-large-object", "")).lower() != "true":
                return []
            return [(s["name"], int(s["bytes"]), s["hash"]) for s in json.loads(b"".join(self._guard(body, name)))]
        except (ValueError, TypeError, KeyError):
            raise TransientError(f"Swift: manifest {name} is not readable JSON") from None
        finally:
            getattr(body, "close", lambda: None)()

    def verify(self, key):
        name = self._full(key)
        headers = self._call(f"HEAD {name}", self._conn().head_object, self.container, name)
        info = self._info(key, headers)
        if str(headers.get("x-static-large-object", "")).lower() != "true":
            return info
        entries = self._read_manifest(name)
        if entries is None:
            raise NotFound(f"Swift: {name}: deleted while it was checked")
        if not entries:  # replaced by a plain object meanwhile
            return self.stat(key)
        missing = self._absent_segments(entries)
        if missing or sum(size for _, size, _ in entries) != info.size:
            what = (f"{len(missing)} of {len(entries)} segments missing or changed, first {missing[0]}"
                    if missing else f"its segments add up to {sum(s for _, s, _ in entries)} bytes, not {info.size}")
            broken = Incomplete(f"Swift: {name} is broken in the store: {what}", info=info, missing=missing,
                                manifest=entries)
            broken.delete_at = headers.get("x-delete-at")  # repaired segments expire with the manifest
            raise broken
        return info

    def _absent_segments(self, entries):
        """Manifest entries with no segment of that size and MD5: one listing
        of their common prefix, and a HEAD for any the listing lacks (a
        listing may lag behind a PUT)."""
        by_container = {}
        for path, size, md5 in entries:
            container, seg = path.lstrip("/").split("/", 1)
            by_container.setdefault(container, []).append((seg, size, md5, path))
        missing = []
        for container, segs in by_container.items():
            prefix = os.path.commonprefix([seg for seg, _, _, _ in segs])
            try:
                _, listing = self._call(f"list {container}", self._conn().get_container, container,
                                        prefix=prefix, full_listing=True)
            except NotFound:
                listing = []
            have = {item.get("name"): (int(item.get("bytes", -1)), item.get("hash")) for item in listing}
            for seg, size, md5, path in segs:
                if have.get(seg) == (size, md5):
                    continue
                try:
                    head = self._call(f"HEAD {seg}", self._conn().head_object, container, seg)
                    if (int(head.get("content-length", -1)), head.get("etag", "").strip('"')) == (size, md5):
                        continue
                except NotFound:
                    pass
                missing.append(path)
        return missing

    def repair(self, key, path, incomplete):
        """Put the missing segments back under the names the manifest lists,
        from the local copy, each checked against the MD5 the manifest holds."""
        if not incomplete.manifest or sum(s for _, s, _ in incomplete.manifest) != os.stat(path).st_size:
            raise incomplete
        wanted = set(incomplete.missing)
        offset = 0
        for seg_path, size, md5 in incomplete.manifest:
            if seg_path in wanted:
                container, seg = seg_path.lstrip("/").split("/", 1)
                self._ensure_container(container)
                delete_at = getattr(incomplete, "delete_at", None)
                sent = self._put_segment(container, seg, path, offset, size,
                                         {"x-delete-at": delete_at} if delete_at else {})
                if sent != md5:
                    self._delete_quietly(seg, container)
                    raise IntegrityError(f"Swift: cannot repair {self._full(key)}: the local copy's bytes for "
                                         f"segment {seg_path} differ from the manifest's")
            offset += size

    def clear_leftovers(self, key, busy=lambda: False):
        name = self._full(key)
        try:
            keep = {path for path, _, _ in self._read_manifest(name) or []}
            _, page = self._call(f"list {self.segment_container}", self._conn().get_container,
                                 self.segment_container, prefix=f"{name}/slo/", full_listing=True)
        except NotFound:  # no segment container: nothing to clear
            return True
        except (AuthError, ConfigError):
            raise
        except SwiftrotateError:
            return False
        if page and busy():  # its segments may be in this listing: they are not leftovers
            return False
        done = True
        for item in page:
            seg = item.get("name", "")
            if seg and f"/{self.segment_container}/{seg}" not in keep:
                try:
                    self._call(f"DELETE {seg}", self._conn().delete_object, self.segment_container, seg)
                except NotFound:
                    pass
                except SwiftrotateError:
                    done = False
        return done
