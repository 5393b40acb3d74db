"""The Archiver on its own, against the folder store (a real backend): the
decision for one file, and the ledger rows it proves."""
import gzip
import logging
import os

import pytest

from swiftrotate.archiver import Archiver
from swiftrotate.backends.local import LocalBackend
from swiftrotate.discover import find
from swiftrotate.errors import Conflict
from swiftrotate.ledger import Ledger

LOG = logging.getLogger("test")


@pytest.fixture
def env(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    backend = LocalBackend(str(tmp_path / "store"))
    ledger = Ledger(str(tmp_path / "ledger.sqlite"))
    yield logs, backend, ledger
    ledger.close()
    backend.close()


def _archive(logs, backend, ledger, name, **options):
    cand = next(c for c in find(str(logs / "app.log"), "-%Y%m%d") if c.path.endswith(name))
    key = f"web01{cand.live}{cand.stamp}{cand.ext}"
    return Archiver(backend, ledger, "d", "web01", LOG, **options).archive(cand, key)


def test_upload_then_present_then_the_store_holds_the_bytes(env, tmp_path):
    logs, backend, ledger = env
    (logs / "app.log-20261101").write_bytes(b"one\n" * 1000)
    first = _archive(logs, backend, ledger, "app.log-20261101")
    assert first.status == "uploaded" and first.error is None
    info = backend.verify(first.key)
    assert info.size == 4000
    assert ledger.unit("d", first.key)["sha256"] == info.sha256
    assert _archive(logs, backend, ledger, "app.log-20261101").status == "present"


def test_the_compressed_form_of_an_archived_file_is_its_twin(env):
    logs, backend, ledger = env
    data = b"line\n" * 500
    (logs / "app.log-20261101").write_bytes(data)
    assert _archive(logs, backend, ledger, "app.log-20261101").status == "uploaded"
    (logs / "app.log-20261101.gz").write_bytes(gzip.compress(data))
    os.unlink(logs / "app.log-20261101")  # as logrotate's compress does
    assert _archive(logs, backend, ledger, "app.log-20261101.gz").status == "twin"
    assert [o.key for o in backend.list("")] == [f"web01{logs}/app.log-20261101"]


def test_a_different_file_under_an_archived_name_is_a_conflict_and_nothing_is_overwritten(env):
    logs, backend, ledger = env
    (logs / "app.log-20261101").write_bytes(b"first\n")
    key = _archive(logs, backend, ledger, "app.log-20261101").key
    before = backend.verify(key)
    (logs / "app.log-20261101").write_bytes(b"second, longer\n")
    with pytest.raises(Conflict, match="not overwriting"):
        _archive(logs, backend, ledger, "app.log-20261101")
    assert backend.verify(key).sha256 == before.sha256


def test_compress_stores_gzip_and_records_the_uncompressed_content(env):
    logs, backend, ledger = env
    data = b"compress me\n" * 2000
    (logs / "app.log-20261101").write_bytes(data)
    outcome = _archive(logs, backend, ledger, "app.log-20261101", compress=lambda cand: "gzip")
    assert outcome.status == "uploaded" and outcome.key.endswith(".gz")
    info, chunks = backend.open_read(outcome.key)
    assert gzip.decompress(b"".join(chunks)) == data
    row = ledger.unit("d", outcome.key[:-3])
    assert row["content_size"] == len(data) and row["key"] == outcome.key


def test_remove_deletes_the_local_file_only_once_archived(env):
    logs, backend, ledger = env
    (logs / "app.log-20261101").write_bytes(b"gone soon\n")
    outcome = _archive(logs, backend, ledger, "app.log-20261101", remove=True)
    assert outcome.removed and not (logs / "app.log-20261101").exists()
    assert backend.verify(outcome.key).size == 10
