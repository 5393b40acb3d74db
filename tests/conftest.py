import pytest

# tests/ and each folder in it are packages, so pytest puts the repo root on
# sys.path (rootdir-based "prepend" import mode): the support modules are
# tests.support.*, with no sys.path edit anywhere.
from tests.support.servers import RcloneS3Server, SeaweedS3Server, SwiftServer


# --- real servers ---
# Started once per run (per xdist worker), on free ports with their own data
# dirs, so parallel runs don't collide. A server that cannot start fails the
# tests that need it (never skips): the tests are only meaningful against them.

def _start(server, what):
    try:
        return server.start()
    except Exception as e:  # message holds the server log tails
        msg = "could not start %s: %s" % (what, e)
    pytest.fail(msg, pytrace=False)  # outside `except`: no chained traceback


@pytest.fixture(scope="session")
def swift_server():
    """SwiftServer: .auth_url/.user/.key (swiftclient), .endpoint (s3api,
    access key test:tester secret testing), .stop_proxy()/.start_proxy(), .expire()."""
    server = _start(SwiftServer(), "the Swift test server (SAIO)")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rclone_server():
    """RcloneS3Server (`rclone serve s3`): .endpoint, .access_key, .secret_key,
    .data_dir (<bucket>/<key> files), .client(), .restart()."""
    server = _start(RcloneS3Server(), "`rclone serve s3`")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweed_server():
    """SeaweedS3Server (`weed mini`): .endpoint, .access_key, .secret_key,
    .client(). The S3 server here that keeps object tags and lifecycle rules."""
    server = _start(SeaweedS3Server(), "SeaweedFS (`weed mini`)")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keystone(swift_server):
    """KeystoneSwift (tests/support/keystone_server.py): a real Keystone v3 from
    .venv-keystone, a second Swift proxy on swift_server that checks its
    tokens, and a two-region catalog. .env(**overrides) gives the OS_*
    variables, .storage_url the project's account, .internal/.dead the
    FaultProxies behind the internal and RegionTwo endpoints."""
    from tests.support.keystone_server import KeystoneSwift
    world = _start(KeystoneSwift(swift_server), "Keystone and the Swift Keystone proxy")
    yield world
    world.stop()


# --- stores on those servers (tests/support/fixtures.py) ---
from tests.support.fixtures import remote_store, store  # noqa: E402,F401


# --- Debian's own logrotate configs (tests/support/debian_confs.py) ---

@pytest.fixture(scope="session")
def debian_etc(tmp_path_factory):
    """Debian 12's etc/ with the packages' logrotate files, from their .debs (downloaded once a run)."""
    from tests.support.debian_confs import fetch_etc
    return fetch_etc(tmp_path_factory.mktemp("debs"))
