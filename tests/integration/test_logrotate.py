"""The hook under real logrotate (Debian 3.21), over faked days, on the real Swift.

Every mode logrotate can call the hook in: postrotate/lastaction, with and
without sharedscripts, compress/delaycompress/neither, olddir, dateyesterday,
an hourly dateformat, two patterns in one block. After the runs, every line
that left the live log is in the store exactly once, each rotated unit is
one object, byte-identical to the local file (or its decompressed twin),
and the ledger agrees.
"""
import hashlib
import sqlite3
import uuid

import pytest

import swiftrotate
from tests.support.clirun import write_config
from tests.support.lrlab import Lab, content
from swiftrotate.backends.swift import SwiftBackend
from swiftrotate.naming import unit_id

DAYS = ["2026-11-01 00:10:00", "2026-11-02 00:10:00", "2026-11-03 00:10:00", "2026-11-04 00:10:00"]
HOURS = ["2026-11-01 00:10:00", "2026-11-01 01:10:00", "2026-11-01 02:10:00", "2026-11-01 03:10:00"]
COMP = {"none": [], "compress": ["compress"], "delaycompress": ["compress", "delaycompress"]}

MATRIX = [(hook, shared, comp) for hook in ("postrotate", "lastaction") for shared in (False, True)
          for comp in COMP]
EXTRAS = {
    "olddir": dict(hook="postrotate", comp="compress", olddir="old", extra_args="--olddir old"),
    "dateyesterday": dict(hook="lastaction", shared=True, comp="compress", directives=["dateyesterday"]),
    "hourly": dict(hook="postrotate", comp="none", directives=["hourly", "dateformat -%Y%m%d%H"],
                   extra_args="--dateformat -%Y%m%d%H", hours=True),
    "two-patterns": dict(hook="postrotate", shared=True, comp="delaycompress", two_patterns=True),
}


@pytest.fixture
def swift_lab(tmp_path, swift_server):
    container = "lr" + uuid.uuid4().hex[:12]
    cfg = write_config(tmp_path / "swiftrotate.conf", {
        "swiftrotate": {"dest": f"swift://{container}", "state_dir": str(tmp_path / "state"),
                        "host": "web01", "settle_seconds": "0"},
        "swift": {"auth_url": swift_server.auth_url, "user": "test:tester", "key": "testing"},
    })
    lab = Lab(tmp_path / "lab", cfg)
    backend = SwiftBackend(container, auth_url=swift_server.auth_url, user="test:tester", key="testing")
    yield lab, backend, tmp_path / "state/ledger.sqlite"
    backend.close()


def check_archive(lab, backend, ledger_path, olddir=None):
    objects = {o.key: o for o in backend.list()}
    assert objects, "nothing archived; hook output:\n" + lab.hook_output()
    # one object per rotated unit
    units = [unit_id(k) for k in objects]
    assert len(units) == len(set(units)), sorted(objects)
    # every local rotated file matches its unit's object, byte for byte
    for path in lab.rotated_files(olddir):
        live = lab.logs_dir / path.name.split("-20")[0]
        key = "web01" + str(live) + path.name[len(live.name):]
        matches = [k for k in objects if unit_id(k) == unit_id(key)]
        assert len(matches) == 1, (path, sorted(objects))
        info, chunks = backend.open_read(matches[0])
        stored = b"".join(chunks)
        if matches[0] == key:
            assert stored == path.read_bytes()
        else:
            assert content(stored, matches[0]) == content(str(path), path.name)
        meta = info.metadata
        assert meta["host"] == "web01"
        assert meta["path"].startswith(str(lab.logs_dir))
        assert info.size == len(stored) and info.sha256 == hashlib.sha256(stored).hexdigest()
        assert meta["swiftrotate-version"] == swiftrotate.__version__
        if matches[0] == key:  # the very file that was uploaded: its mtime, to the microsecond
            assert abs(float(meta["mtime"]) - path.stat().st_mtime) < 1e-5
        if not matches[0].endswith(".gz"):  # uncompressed: its size is known
            assert int(meta["uncompressed-size"]) == len(stored)
    # every line that left the live log is archived exactly once
    for name in lab.logs:
        archived = []
        for key in sorted(objects):
            if key.startswith("web01" + str(lab.logs_dir) + "/") and "/" + name + "-" in key:
                archived += content(b"".join(backend.open_read(key)[1]), key).decode().splitlines(True)
        rotated_away = lab.rotated_away(name)
        assert sorted(archived) == sorted(rotated_away), name
    # the ledger knows each object with its size and sha256
    db = sqlite3.connect(ledger_path)
    rows = {r[0]: r[1:] for r in db.execute("SELECT key, size, sha256 FROM units")}
    db.close()
    assert set(rows) == set(objects)
    for key, (size, sha) in rows.items():
        assert backend.stat(key).size == size and backend.stat(key).sha256 == sha


def run_case(lab, backend, ledger, hook="postrotate", shared=False, comp="none", directives=(),
             olddir=None, extra_args="", two_patterns=False, hours=False):
    lab.configure(list(directives) + COMP[comp], hook=hook, shared=shared, olddir=olddir,
                  extra_args=extra_args, two_patterns=two_patterns)
    lab.days(HOURS if hours else DAYS)
    for proc in lab.results:
        assert proc.returncode == 0, proc.stderr + lab.hook_output()
    assert "error" not in lab.hook_output().lower(), lab.hook_output()
    check_archive(lab, backend, ledger, olddir)


@pytest.mark.parametrize("hook,shared,comp", MATRIX,
                         ids=[f"{h}-{'shared' if s else 'single'}-{c}" for h, s, c in MATRIX])
def test_matrix(swift_lab, hook, shared, comp):
    lab, backend, ledger = swift_lab
    run_case(lab, backend, ledger, hook=hook, shared=shared, comp=comp)


@pytest.mark.parametrize("name", sorted(EXTRAS))
def test_extra_modes(swift_lab, name):
    lab, backend, ledger = swift_lab
    run_case(lab, backend, ledger, **EXTRAS[name])
