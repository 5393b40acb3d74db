"""`verify --repair` under the lose matrix's faults, and under kill -9.

Two files are archived cleanly (the matrix's 11 MiB one, a Swift large
object of 3 segments / an S3 multipart upload, and its 200 KiB one), then
broken behind the ledger's back: on Swift one segment of the large object
is deleted (broken; its local copy has the same bytes, so the repair puts
the segment back; no manifest is written) and the small object is deleted
(missing); for the manifest's faults the whole large object is deleted
instead, so the repair writes segments and a manifest. On S3 both objects
are deleted. `verify --repair` then runs with one request kind's
answer (or the request itself) lost, once or on every attempt. The
invariant, as for upload in test_lose_matrix:

  * verify never deletes a local file, whatever happens;
  * exit 0 only when every object reads back whole with the original bytes;
  * one lost answer with `retries = 1` is absorbed: exit 0;
  * the catch-up `verify --repair` exits 0, `verify --deep` then finds
    nothing, exactly one object per file, no stray segment or open upload.

The kill -9 test stops a repair in the middle of putting the segments back
(or of the multipart upload) and expects the next `verify --repair` to
finish the job, leaving nothing behind.
"""
import signal
import subprocess
import sys
import time

import pytest

from tests.faults.test_lose_matrix import ALL, BIG, OPTIONAL, SMALL, Case, _tail
from tests.support.clirun import run_cli
from tests.support.invariant import check_objects, stray_leftovers
from tests.support.servers import FaultProxy

# the kinds a repair writes with, per store (the matrix's RULES names); the
# reads a repair makes first (HEADs, the manifest and segment listing) too
KINDS = {
    "swift": ["auth", "object-head", "manifest-get", "segment-listing", "segment-head", "segment-put",
              "manifest-put", "object-put"],
    "s3": ["HeadObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutObject"],
}
REQUEST = {"swift": ["segment-put", "manifest-put", "object-put"],
           "s3": ["UploadPart", "CompleteMultipartUpload", "PutObject"]}
EVERY = {"swift": ["segment-put", "manifest-put", "object-put"],
         "s3": ["UploadPart", "CompleteMultipartUpload", "PutObject"]}


def _cases():
    out = []
    for store in ("swift", "s3"):
        out += [(store, kind, [(kind, "answer", 1)]) for kind in KINDS[store]]
        out += [(store, kind + "-request", [(kind, "request", 1)]) for kind in REQUEST[store]]
        out += [(store, kind + "-all", [(kind, "answer", ALL)]) for kind in EVERY[store]]
    # a lost manifest/complete answer, and the cleanup after it lost as well
    out.append(("swift", "manifest-put-all+delete", [("manifest-put", "answer", ALL),
                                                     ("delete", "answer", ALL, OPTIONAL)]))
    out.append(("s3", "UploadPart-all+AbortMultipartUpload", [("UploadPart", "answer", ALL),
                                                               ("AbortMultipartUpload", "answer", ALL, OPTIONAL)]))
    return [pytest.param(store, rules, id=f"{store}-repair-{name}") for store, name, rules in out]


class RepairCase(Case):
    """A matrix Case whose command is `verify --repair` on archives broken
    after a clean upload."""

    def __init__(self, tmp_path, swift_server, store, fp, rules=()):
        super().__init__(tmp_path, swift_server, store, "upload", fp)
        self.op = "repair"
        first = run_cli("--config", self.cfg, "upload", self.log)
        assert first.returncode == 0, "the clean upload: " + _tail(first)
        big, small = (f"web01{self.paths[n]}" for n in (BIG, SMALL))
        self.checker.delete(small)
        if store == "swift" and not any(r[0] == "manifest-put" for r in rules):
            segs = sorted(o.key for o in self._segments())
            assert len(segs) == 3, segs
            self.checker._conn().delete_object(self.checker.segment_container, segs[1])
        else:
            self.checker.delete(big)
        self.command = ["verify", "--repair"]

    def _segments(self):
        conn = self.checker._conn()
        _, objs = conn.get_container(self.checker.segment_container, full_listing=True)
        return [type("Seg", (), {"key": o["name"]}) for o in objs]

    def catch_up(self):
        again = run_cli("--config", self.cfg, "verify", "--repair")
        assert again.returncode == 0, "catch-up repair: " + _tail(again)
        deep = run_cli("--config", self.cfg, "verify", "--deep")
        assert deep.returncode == 0, "verify --deep after the repair: " + _tail(deep)
        objects = check_objects(self.checker)
        assert sorted(objects) == sorted(self.keys), "want exactly one object per rotated file"
        for key, data in self.keys.items():
            assert objects[key] == data, f"{key}: archived bytes differ from the original"
        assert stray_leftovers(self.checker) == []
        assert all(p.exists() for p in self.paths.values()), "verify deleted a local file"


@pytest.mark.parametrize("store,rules", _cases())
def test_repair_with_a_lost_answer_or_request(tmp_path, swift_server, store, rules):
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as fp:
        case = RepairCase(tmp_path, swift_server, store, fp, rules)
        try:
            proc, carried = case.faulty_run(rules)
            assert not carried
            case.check_faulty(proc)
            if proc.returncode not in (0, 65, 69, 75):
                raise AssertionError("a failed repair exits 65/69/75: " + _tail(proc))
            case.catch_up()
            assert case.not_absorbed is None, case.not_absorbed
        finally:
            case.checker.close()


@pytest.mark.parametrize("store,marker", [("swift", "_segments/"), ("s3", "partNumber=")])
def test_repair_killed_midway_is_finished_by_the_next(tmp_path, swift_server, store, marker):
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as fp:
        case = RepairCase(tmp_path, swift_server, store, fp)
        try:
            fp.seen.clear()
            proc = subprocess.Popen([sys.executable, "-m", "swiftrotate", "--config", case.cfg, *case.command],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(
                    marker in line and line.startswith("PUT") for line in fp.seen):
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait() == -signal.SIGKILL, "the repair ended before the kill"
            assert any(marker in line for line in fp.seen), fp.seen
            case.catch_up()
        finally:
            case.checker.close()
