"""Store fixtures on top of the real servers (imported by conftest.py)."""
import pytest

from .stores import TARGETS, cleanup, make_store


def _store(request, tmp_path, target):
    swift = request.getfixturevalue("swift_server") if target in ("swift", "s3-swift") else None
    rclone = request.getfixturevalue("rclone_server") if target == "s3-rclone" else None
    seaweed = request.getfixturevalue("seaweed_server") if target == "s3-seaweed" else None
    store = make_store(target, tmp_path, swift=swift, rclone=rclone, seaweed=seaweed)
    yield store
    cleanup(store)


@pytest.fixture(params=TARGETS)
def store(request, tmp_path):
    """A fresh, empty store on each contract target."""
    yield from _store(request, tmp_path, request.param)


@pytest.fixture(params=TARGETS[1:])
def remote_store(request, tmp_path):
    """Like `store`, for the targets that have a server and credentials."""
    yield from _store(request, tmp_path, request.param)
