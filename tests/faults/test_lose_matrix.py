"""The "lose" matrix of issue 11: every request kind of an `upload`, a
`gate`, an `upload --remove` and a `fetch`, on Swift and on S3 (Swift's
s3api), has its answer lost (the server acted, the client never hears it),
or for some kinds the request itself (the server never acts); then a
catch-up run with everything passing. The invariant, whatever was lost:

  * the first run exits 0 only if every file it was given is archived (the
    store reads it back whole, sha256 == metadata == the local bytes);
    otherwise it exits non-zero and the local file is still there. A local
    file that is gone is archived, whatever the exit code. The gate runs
    with --mode veto: its exit 0 is when logrotate deletes the file, so the
    test deletes it then.
  * one lost answer or request (count 1) with `retries = 1` is absorbed by
    the retry: exit 0 (a retry that finds its own earlier request done, like
    BucketAlreadyOwnedByYou or a 412 on our own manifest, is success).
  * after the catch-up exits 0: exactly one object per rotated file, each
    readable whole with sha256 == metadata, bytes == the original, no stray
    segment / open multipart upload (invariant.stray_leftovers), and with
    --remove the local files gone (they are archived).
  * fetch: never exit 0 with a file missing or wrong in the output folder,
    never a wrong file under a final name, and the catch-up fetches all.

Two rotated files per log: app.log-20261126 (11 MiB: 3 Swift segments of
5M / 3 S3 parts of 5M) and app.log-20261125 (200 KiB: one plain PUT). The
gate gets the big one only. Request kinds, from `fp.seen` of one clean run
of each operation at commit 02bd2fb (`LOSE_MATRIX_SHOW=1` prints every
run's requests, classified; C = the container or bucket, K = a key):

  Swift upload / upload --remove / gate (gate: no small file):
    GET  /auth/v1.0                          auth
    HEAD /v1/AUTH_test/C                     container-head
    PUT  /v1/AUTH_test/C                     container-put
    GET  /v1/AUTH_test/C?format=json&limit=..&prefix=..   listing
    HEAD /v1/AUTH_test/C_segments            segcontainer-head
    PUT  /v1/AUTH_test/C_segments            segcontainer-put
    PUT  /v1/AUTH_test/C_segments/K/slo/<stamp>/<size>/<segsize>/0000000N   segment-put
    PUT  /v1/AUTH_test/C/K?multipart-manifest=put                            manifest-put
    PUT  /v1/AUTH_test/C/K (the small file)  object-put
    HEAD /v1/AUTH_test/C/K                   object-head
    GET  /v1/AUTH_test/C/K?multipart-manifest=get                            manifest-get
    GET  /v1/AUTH_test/C_segments?format=json&prefix=K/slo/...               segment-listing
    DELETE /v1/AUTH_test/C_segments/K/slo/... (segment-delete) and
    DELETE /v1/AUTH_test/C/K?multipart-manifest=delete (manifest-delete):
      only after a failure, in that run (up to 2a18d58) or in the next (since
      02bd2fb); made to happen by losing every manifest PUT first.
  Swift fetch:  auth, listing (marker/end_marker), object-get (SLO, plain).
  S3 upload / upload --remove / gate:
    GET  /C?list-type=2&...                  ListObjectsV2
    HEAD /C                                  HeadBucket
    PUT  /C                                  CreateBucket
    POST /C/K?uploads                        CreateMultipartUpload
    PUT  /C/K?uploadId=..&partNumber=N       UploadPart
    POST /C/K?uploadId=..                    CompleteMultipartUpload
    PUT  /C/K (the small file)               PutObject
    HEAD /C/K                                HeadObject
    GET  /C?uploads&prefix=K                 ListMultipartUploads
    DELETE /C/K?uploadId=..                  AbortMultipartUpload: only after
      a failure; made to happen by losing every UploadPart of part 2 first.
  S3 fetch: ListObjectsV2 (start-after), GetObject (multipart, plain).

A case loses the first request of its kind (count 1: the client's own retry
passes) or, marked "-all", every attempt (the run fails: its failure path is
what is tested), and a few cases stack two faults, the reproductions of
issue 11. Each case asserts that each of its rules fired on a request of the
intended kind, so no case passes vacuously; a rule marked CARRY may fire in
the next run instead, one marked OPTIONAL loses that kind only if the code
makes such a request at all (the first rule of those cases must fire).
"""
import hashlib
import os
import uuid

import pytest

from tests.support.clirun import rotated, run_cli, write_config
from tests.support.invariant import check_objects, stray_leftovers
from tests.support.servers import FaultProxy
from tests.support.stores import behind_proxy
from swiftrotate.backends.s3 import S3Backend
from swiftrotate.backends.swift import SwiftBackend

MIB = 1024 * 1024
BIG, SMALL = "app.log-20261126", "app.log-20261125"
DATA = {BIG: os.urandom(11 * MIB + 4321), SMALL: os.urandom(200 * 1024)}
OPTIONS = {  # low retries and timeouts: the matrix stays fast, the faults still get retried once
    "swift": {"retries": "1", "backoff": "0.1", "connect_timeout": "2", "read_timeout": "5",
              "segment_size": "5M"},
    "s3": {"retries": "1", "connect_timeout": "2", "read_timeout": "5", "multipart_threshold": "5M",
           "part_size": "5M"},
}
ALL = 9  # "every attempt": more than any retry setting above makes
CARRY = "carry"  # may fire in this run or, if not, is armed again in the next
OPTIONAL = "optional"  # armed for this run; need not fire

# kind -> (method, substring of the target that picks the first request of
# that kind in the run), {c} = container/bucket, {bigkey}/{smallkey} = the
# object keys of the two files
RULES = {
    "swift": {
        "auth": ("GET", "/auth/v1.0"),
        "container-head": ("HEAD", "/{c}"),  # the first HEAD of a run is the container's
        "container-put": ("PUT", "/{c}"),  # the first PUT likewise
        "listing": ("GET", "/{c}?format=json"),
        "segcontainer-head": ("HEAD", "/{c}_segments"),
        "segcontainer-put": ("PUT", "/{c}_segments"),
        "segment-put": ("PUT", "/slo/"),
        "manifest-put": ("PUT", "multipart-manifest=put"),
        "object-put": ("PUT", "/{c}/{smallkey}"),
        "object-head": ("HEAD", "/{c}/{bigkey}"),
        "manifest-get": ("GET", "multipart-manifest=get"),
        "segment-listing": ("GET", "/{c}_segments?format=json"),
        "segment-head": ("HEAD", "/{c}_segments/"),  # verify's check of a large object's segments
        "delete": ("DELETE", "/{c}"),  # any DELETE
        "manifest-delete": ("DELETE", "multipart-manifest=delete"),
        "object-get-slo": ("GET", "/{c}/{bigkey}"),  # fetch: no manifest GET there
        "object-get-plain": ("GET", "/{c}/{smallkey}"),
    },
    "s3": {
        "ListObjectsV2": ("GET", "list-type=2"),
        "HeadBucket": ("HEAD", "/{c}"),  # the first HEAD of a run is the bucket's
        "CreateBucket": ("PUT", "/{c}"),  # the first PUT likewise
        "CreateMultipartUpload": ("POST", "?uploads"),
        "UploadPart": ("PUT", "partNumber=2"),
        "CompleteMultipartUpload": ("POST", "?uploadId="),
        "PutObject": ("PUT", "/{c}/{smallkey}"),
        "HeadObject": ("HEAD", "/{c}/{bigkey}"),
        "ListMultipartUploads": ("GET", "?uploads"),
        "AbortMultipartUpload": ("DELETE", "uploadId="),
        "GetObject-multipart": ("GET", "/{c}/{bigkey}"),
        "GetObject-plain": ("GET", "/{c}/{smallkey}"),
    },
}
# a rule's kind -> the kinds classify() gives the requests it may hit
MATCHES = {"delete": {"segment-delete", "manifest-delete", "object-delete"}}


def classify(store, line, c):
    """The kind of the request `line` ("METHOD target") in container/bucket c."""
    method, _, target = line.partition(" ")
    path, _, query = target.partition("?")
    if store == "swift":
        if path.startswith("/auth/"):
            return "auth"
        account = "/v1/AUTH_test/"
        rest = path[len(account):] if path.startswith(account) else path
        cont, _, obj = rest.partition("/")
        seg = cont == c + "_segments"
        if not obj:
            if method == "GET":
                return "segment-listing" if seg else "listing"
            return ("segcontainer-" if seg else "container-") + method.lower()
        if seg:
            return "segment-" + method.lower()
        if "multipart-manifest=put" in query:
            return "manifest-put"
        if "multipart-manifest=get" in query:
            return "manifest-get"
        if "multipart-manifest=delete" in query:
            return "manifest-delete"
        if method == "GET":
            return "object-get-plain" if obj.endswith(SMALL) else "object-get-slo"
        return "object-" + method.lower()
    bucket, _, key = path.lstrip("/").partition("/")
    params = {p.split("=", 1)[0] for p in query.split("&") if p}
    if not key:
        if method == "GET":
            return "ListMultipartUploads" if "uploads" in params else "ListObjectsV2"
        return {"HEAD": "HeadBucket", "PUT": "CreateBucket"}.get(method, method + " bucket")
    if "uploads" in params:
        return "CreateMultipartUpload"
    if "partNumber" in params:
        return "UploadPart"
    if "uploadId" in params:
        return {"POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload"}.get(method, method)
    if method == "GET":
        return "GetObject-plain" if key.endswith(SMALL) else "GetObject-multipart"
    return {"HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}.get(method, method)


# ---------------------------------------------------------------- the table
SWIFT_WRITE = ["auth", "container-head", "container-put", "listing", "segcontainer-head", "segcontainer-put",
               "segment-put", "manifest-put", "object-put", "object-head", "manifest-get", "segment-listing"]
S3_WRITE = ["ListObjectsV2", "HeadBucket", "CreateBucket", "CreateMultipartUpload", "UploadPart",
            "CompleteMultipartUpload", "PutObject", "HeadObject", "ListMultipartUploads"]
# lost requests (the server never acted), for a few kinds: on upload; the
# gate and --remove get the one that decides whether the object exists
SWIFT_REQUEST = {"upload": ["auth", "segment-put", "manifest-put", "object-put"],
                 "gate": ["manifest-put"], "remove": ["manifest-put"]}
S3_REQUEST = {"upload": ["CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutObject"],
              "gate": ["CompleteMultipartUpload"], "remove": ["CompleteMultipartUpload"]}
# (id suffix, runs): a case is a list of runs, each with its rules, before
# the catch-up. "-all": every attempt lost, so the run fails; then the
# requests its failure makes are lost in turn.
SWIFT_ALL = [
    ("manifest-put-all", [[("manifest-put", "answer", ALL)]]),
    ("segment-put-all", [[("segment-put", "answer", ALL)]]),
    ("manifest-put-all-request+delete", [[("manifest-put", "request", ALL), ("delete", "answer", 1, CARRY)], []]),
    ("manifest-put-all-request+delete-request", [[("manifest-put", "request", ALL),
                                                  ("delete", "request", 1, CARRY)], []]),
    # issue 11, 1: the manifest PUT's answer lost after Swift saved it (the
    # retry gets 412), and every manifest GET reset
    ("manifest-put+manifest-get-all", [[("manifest-put", "answer", 1), ("manifest-get", "answer", ALL)]]),
    # issue 11, 1, second variant: every manifest PUT answer lost, and the
    # manifest DELETE (if the code sends one) reset
    ("manifest-put-all+manifest-delete-request", [[("manifest-put", "answer", ALL),
                                                   ("manifest-delete", "request", ALL, OPTIONAL)]]),
]
S3_ALL = [
    ("CompleteMultipartUpload-all", [[("CompleteMultipartUpload", "answer", ALL)]]),
    ("UploadPart-all", [[("UploadPart", "answer", ALL)]]),
    ("UploadPart-all-request+AbortMultipartUpload", [[("UploadPart", "request", ALL),
                                                      ("AbortMultipartUpload", "answer", 1, CARRY)], []]),
    ("UploadPart-all-request+AbortMultipartUpload-request", [[("UploadPart", "request", ALL),
                                                              ("AbortMultipartUpload", "request", 1, CARRY)], []]),
    # issue 11, 3: an orphan upload (CreateMultipartUpload answered, the
    # answer lost) and the best-effort cleanup listing reset every time
    ("CreateMultipartUpload+ListMultipartUploads-all", [[("CreateMultipartUpload", "answer", 1),
                                                         ("ListMultipartUploads", "answer", ALL)]]),
]
FETCH = {"swift": ["auth", "listing", "object-get-slo", "object-get-plain"],
         "s3": ["ListObjectsV2", "GetObject-multipart", "GetObject-plain"]}
# the gate gets the big file only: no plain PUT
NO_SMALL = {"object-put", "PutObject"}


def _cases():
    out = []
    for store in ("swift", "s3"):
        write, request, every = ((SWIFT_WRITE, SWIFT_REQUEST, SWIFT_ALL) if store == "swift"
                                 else (S3_WRITE, S3_REQUEST, S3_ALL))
        for op in ("upload", "gate", "remove"):
            kinds = [k for k in write if not (op == "gate" and k in NO_SMALL)]
            for kind in kinds:
                out.append((store, op, kind, [[(kind, "answer", 1)]]))
            for kind in request[op]:
                if kind in kinds:
                    out.append((store, op, kind + "-request", [[(kind, "request", 1)]]))
            for name, runs in every:
                out.append((store, op, name, runs))
        for kind in FETCH[store]:
            out.append((store, "fetch", kind, [[(kind, "answer", 1)]]))
        out.append((store, "fetch", FETCH[store][-1] + "-all", [[(FETCH[store][-1], "answer", ALL)]]))
    return [pytest.param(store, op, runs, id=f"{store}-{op}-{name}") for store, op, name, runs in out]


# ---------------------------------------------------------------- the test
def _direct(store, swift_server, name):
    """A backend on the server itself, with the matrix's segment/part sizes."""
    if store == "swift":
        return SwiftBackend(name, auth_url=swift_server.auth_url, user="test:tester", key="testing",
                            segment_size=5 * MIB)
    return S3Backend(name, endpoint_url=swift_server.endpoint, region="us-east-1", access_key_id="test:tester",
                     secret_access_key="testing", multipart_threshold=5 * MIB, part_size=5 * MIB)


def _tail(proc):
    return f"exit {proc.returncode}\n{proc.stderr[-3000:]}"


class Case:
    """One matrix case on a fresh container/bucket, behind its own FaultProxy."""

    def __init__(self, tmp_path, swift_server, store, op, fp):
        self.store, self.op, self.fp = store, op, fp
        self.not_absorbed = None
        self.name = "lm" + uuid.uuid4().hex[:10]
        logs = tmp_path / "logs"
        self.paths = {n: rotated(logs, n, DATA[n]) for n in ([BIG] if op == "gate" else [BIG, SMALL])}
        self.keys = {f"web01{p}": DATA[n] for n, p in self.paths.items()}
        self.log = str(logs / "app.log")
        dest, section, self.checker = behind_proxy(store, swift_server, fp, self.name, **OPTIONS[store])
        self.cfg = write_config(tmp_path / "swiftrotate.conf", {
            "swiftrotate": {"dest": dest, "state_dir": str(tmp_path / "state"), "host": "web01",
                            "settle_seconds": "0"}, **section})
        self.out = tmp_path / "out"
        self.fetch = ["fetch", self.log, "--since", "2026-11-25", "--until", "2026-11-26", "--by-stamp",
                      "-o", str(self.out)]
        self.command = {"upload": ["upload", self.log], "remove": ["upload", "--remove", self.log],
                        "gate": ["gate", "--mode", "veto", str(self.paths[BIG])], "fetch": self.fetch}[op]

    def local(self, key):
        return key[len("web01"):]

    def faulty_run(self, rules):
        """Arm `rules` ((kind, what, count[, CARRY or OPTIONAL])), run the
        command, check that each fired on its kind; return (the run, the
        CARRY rules that did not fire: they are armed again in the next run)."""
        fmt = {"c": self.name, "bigkey": f"web01{self.paths[BIG]}",
               "smallkey": f"web01{self.paths.get(SMALL, '-')}"}
        self.fp.lost.clear()
        self.fp.seen.clear()
        for kind, what, count, *_ in rules:
            method, contains = RULES[self.store][kind]
            self.fp.lose(method, contains.format(**fmt), what=what, count=count)
        proc = run_cli("--config", self.cfg, *self.command)
        self.fp.clear_lose()
        lost, seen = list(self.fp.lost), list(self.fp.seen)
        if os.environ.get("LOSE_MATRIX_SHOW"):
            print(f"\n{self.store} {self.op} {rules}: {_tail(proc)}")
            for line in seen:
                print(f"   {classify(self.store, line, self.name):24} {'LOST ' if line in lost else ''}{line}")
        lost_kinds = [classify(self.store, line, self.name) for line in lost]

        def fired(kind):
            return bool(MATCHES.get(kind, {kind}) & set(lost_kinds))

        for kind, what, _, *flag in rules:
            assert flag or fired(kind), (f"the rule for {kind} ({what}) never fired; requests seen:\n"
                                         + "\n".join(seen) + "\n" + _tail(proc))
        armed = set().union(*(MATCHES.get(r[0], {r[0]}) for r in rules))
        assert set(lost_kinds) <= armed, (lost_kinds, rules)
        assert "Traceback" not in proc.stderr, _tail(proc)
        if all(count == 1 and not flag for _, _, count, *flag in rules) and proc.returncode != 0:
            # checked after the catch-up: what that finds is worse
            self.not_absorbed = (f"one lost {rules[0][1]} of {rules[0][0]} must be absorbed by the retry "
                                 f"(retries = 1), yet:\n" + _tail(proc))
        return proc, [r for r in rules if r[3:] == (CARRY,) and not fired(r[0])]

    def check_faulty(self, proc):
        """Exit 0 only when archived; a local file gone only when archived."""
        if self.op == "fetch":
            for key, data in self.keys.items():
                path = self.out / key
                if path.exists():
                    assert path.read_bytes() == data, f"fetch left a wrong {key}\n" + _tail(proc)
                else:
                    assert proc.returncode != 0, f"fetch exited 0 without {key}\n" + _tail(proc)
            return
        gone = [k for k in self.keys if not os.path.exists(self.local(k))]
        if self.op != "remove":
            assert not gone, f"{self.op} deleted local files: {gone}"
        if proc.returncode == 0 or gone:
            why = "exit 0" if proc.returncode == 0 else f"local files deleted ({gone})"
            try:
                objects = check_objects(self.checker)
            except AssertionError as exc:
                raise AssertionError(f"{why}, but the store holds a broken object: {exc}\n" + _tail(proc)) from None
            must = set(gone) | (set(self.keys) if proc.returncode == 0 else set())
            bad = sorted(k for k in must if objects.get(k) != self.keys[k])
            assert not bad, f"{why}, but not archived whole: {bad}\n" + _tail(proc)
        if self.op == "gate" and proc.returncode == 0:
            os.unlink(self.paths[BIG])  # logrotate deletes it

    def catch_up(self):
        """Everything passes now: the run converges."""
        if self.op == "fetch":
            again = run_cli("--config", self.cfg, *self.fetch)
            assert again.returncode == 0, "catch-up fetch: " + _tail(again)
            for key, data in self.keys.items():
                assert (self.out / key).read_bytes() == data, key
            assert not list(self.out.rglob(".swiftrotate-*")), list(self.out.rglob("*"))
        else:
            if self.op == "gate" and self.paths[BIG].exists():
                again = run_cli("--config", self.cfg, *self.command)
                assert again.returncode == 0, "catch-up gate: " + _tail(again)
                os.unlink(self.paths[BIG])
            # gate: the next postrotate upload of that log
            again = run_cli("--config", self.cfg, *(["upload", self.log] if self.op == "gate" else self.command))
            assert again.returncode == 0, "catch-up: " + _tail(again)
        objects = check_objects(self.checker)
        assert sorted(objects) == sorted(self.keys), "want exactly one object per rotated file"
        for key, data in self.keys.items():
            assert objects[key] == data, f"{key}: archived bytes differ from the original"
        left = stray_leftovers(self.checker)
        assert left == [], f"leftovers after a successful catch-up: {left}"
        local = [k for k in self.keys if os.path.exists(self.local(k))]
        if self.op == "remove":
            assert local == [], "upload --remove exited 0 but kept local files"
        elif self.op in ("upload", "fetch"):
            assert sorted(local) == sorted(self.keys)


@pytest.mark.parametrize("store,op,runs", _cases())
def test_lost_answer_or_request(tmp_path, swift_server, store, op, runs):
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as fp:
        case = Case(tmp_path, swift_server, store, op, fp)
        try:
            if op == "fetch":  # archived beforehand, straight to the server
                direct = _direct(store, swift_server, case.name)
                for key, data in case.keys.items():
                    direct.put(key, case.local(key), size=len(data), sha256=hashlib.sha256(data).hexdigest())
                direct.close()
            carried = []
            for rules in runs:
                if rules or carried:
                    proc, carried = case.faulty_run(rules + carried)
                    case.check_faulty(proc)
            assert not carried, f"never fired: {carried}"
            case.catch_up()
            assert case.not_absorbed is None, case.not_absorbed
        finally:
            case.checker.close()


