"""TLS against the real Swift (tempauth and s3api) behind a TLS-terminating
proxy (tests/support/tlsproxy.py), with certificates from trustme.

A certificate the client refuses (CA not trusted, or issued for another host
name) is something only a human can fix, in the config: exit 78, one error
line naming the endpoint and the setting (cacert in [swift], ca_bundle in
[s3]), no traceback, and the rotated file stays where it is. With the CA
configured the upload goes through and is verified; with verification turned
off it goes through too, but says so.
"""
import uuid

import pytest
import trustme

from tests.support.clirun import rotated, run_cli, write_config
from tests.support.tlsproxy import TLSProxy

# docs/reference.md "Exit codes": 78 = configuration, "fix the config". Not 75: no retry
# makes an untrusted certificate trusted, so the next run would fail alike.
TLS_REFUSED = 78

STAMPED = "app.log-20261125"
DATA = b"tls line 1\ntls line 2\n"

# what each store calls the CA file and "do not verify" in its config section
BACKENDS = {
    "swift": {"section": "swift", "ca_option": "cacert", "off": ("insecure", "true")},
    "s3": {"section": "s3", "ca_option": "ca_bundle", "off": ("verify_tls", "false")},
}


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_pem(ca, tmp_path_factory):
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def tls_swift(swift_server, ca):
    """https://127.0.0.1:<port> with a certificate for 127.0.0.1 from `ca`."""
    with TLSProxy(("127.0.0.1", swift_server.proxy_port), ca.issue_cert("127.0.0.1")) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def wrong_name_swift(swift_server, ca):
    """The same Swift, but the certificate (from the same CA) is for other.example."""
    with TLSProxy(("127.0.0.1", swift_server.proxy_port), ca.issue_cert("other.example")) as proxy:
        yield proxy


def store_config(tmp_path, kind, proxy, **extra):
    """An INI file pointing the command at the Swift behind `proxy`, over https."""
    name = "tls" + uuid.uuid4().hex[:16]
    if kind == "swift":
        section = {"auth_url": proxy.url_for("/auth/v1.0"), "user": "test:tester", "key": "testing"}
    else:
        section = {"endpoint_url": proxy.url_for(), "region": "us-east-1", "access_key_id": "test:tester",
                   "secret_access_key": "testing"}
    section.update(retries="0", connect_timeout="5", read_timeout="20", **extra)
    cfg = {"swiftrotate": {"dest": f"{kind}://{name}", "state_dir": str(tmp_path / "state"), "host": "web01",
                           "settle_seconds": "0"},
           BACKENDS[kind]["section"]: section}
    return write_config(tmp_path / "swiftrotate.conf", cfg), name


def stored(swift_server, container, key):
    """The object as the plain-http Swift holds it (bytes, headers), or None.
    S3 buckets of test:tester are containers of the same Swift account."""
    import swiftclient

    conn = swiftclient.Connection(authurl=swift_server.auth_url, user=swift_server.user, key=swift_server.key,
                                  retries=0)
    try:
        headers, body = conn.get_object(container, key)
        return body, headers
    except swiftclient.ClientException as exc:
        if exc.http_status == 404:
            return None
        raise
    finally:
        conn.close()


def key_of(logs):
    return "web01" + str(logs / STAMPED)


def assert_refused(proc, proxy, kind, *, words):
    """Exit 78; one error line naming the endpoint, the setting and `words`;
    every stderr line is ours (no traceback, no library warning)."""
    assert proc.returncode == TLS_REFUSED, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert all(line.startswith("swiftrotate: ") for line in lines), proc.stderr
    endpoint = f"https://127.0.0.1:{proxy.port}"
    named = [line for line in lines if endpoint in line]
    assert len(named) == 1, proc.stderr
    line = named[0]
    assert "certificate" in line, line
    for word in words:
        assert word in line, line
    return line


def run_all_refused(tmp_path, kind, proxy, *, words, **extra):
    """upload, ls and fetch --list are all refused alike; the file stays."""
    logs = tmp_path / "logs"
    rotated(logs, STAMPED, DATA)
    cfg, name = store_config(tmp_path, kind, proxy, **extra)
    forwarded = proxy.forwarded

    up = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    line = assert_refused(up, proxy, kind, words=words)
    assert len(up.stderr.strip().splitlines()) <= 2, up.stderr  # the error, then the summary
    assert (logs / STAMPED).read_bytes() == DATA  # kept for the next run

    ls = run_cli("--config", cfg, "ls")
    assert_refused(ls, proxy, kind, words=words)
    assert len(ls.stderr.strip().splitlines()) == 1, ls.stderr

    fetch = run_cli("--config", cfg, "fetch", str(logs / "app.log"), "--since", "2026-11-20", "--until",
                    "2026-11-30", "--by-stamp", "--list")
    assert_refused(fetch, proxy, kind, words=words)
    assert len(fetch.stderr.strip().splitlines()) == 1, fetch.stderr
    # each client hung up before sending a byte: no request (no credentials) reached Swift
    assert proxy.forwarded == forwarded
    return name, line


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_untrusted_ca_is_refused_with_the_fix(tmp_path, kind, swift_server, tls_swift):
    name, _ = run_all_refused(tmp_path, kind, tls_swift, words=[BACKENDS[kind]["ca_option"]])
    assert stored(swift_server, name, key_of(tmp_path / "logs")) is None


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_ca_of_someone_else_is_refused_too(tmp_path, kind, swift_server, tls_swift):
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    name, _ = run_all_refused(tmp_path, kind, tls_swift, words=[BACKENDS[kind]["ca_option"]],
                              **{BACKENDS[kind]["ca_option"]: str(other)})
    assert stored(swift_server, name, key_of(tmp_path / "logs")) is None


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_hostname_mismatch_is_refused_even_with_the_right_ca(tmp_path, kind, swift_server, wrong_name_swift,
                                                            ca_pem):
    name, line = run_all_refused(tmp_path, kind, wrong_name_swift, words=["'127.0.0.1'", "another name"],
                                 **{BACKENDS[kind]["ca_option"]: ca_pem})
    # the CA is already configured: the fix is the name, not another CA file
    assert BACKENDS[kind]["ca_option"] not in line, line
    assert stored(swift_server, name, key_of(tmp_path / "logs")) is None


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_configured_ca_uploads_and_verifies(tmp_path, kind, swift_server, tls_swift, ca_pem):
    logs = tmp_path / "logs"
    rotated(logs, STAMPED, DATA)
    cfg, name = store_config(tmp_path, kind, tls_swift, **{BACKENDS[kind]["ca_option"]: ca_pem})
    forwarded = tls_swift.forwarded

    up = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert up.returncode == 0, up.stderr
    assert "1 uploaded" in up.stderr and "0 failed" in up.stderr, up.stderr
    assert "Traceback" not in up.stderr and "verification is OFF" not in up.stderr
    assert tls_swift.forwarded > forwarded  # it went through TLS
    import hashlib

    body, headers = stored(swift_server, name, key_of(logs))
    assert body == DATA
    assert hashlib.sha256(DATA).hexdigest() in headers.values()  # our sha256 metadata arrived

    # reading back over TLS: the listing and fetch's plan see it
    ls = run_cli("--config", cfg, "ls")
    assert ls.returncode == 0, ls.stderr
    assert key_of(logs) in ls.stdout
    fetch = run_cli("--config", cfg, "fetch", str(logs / "app.log"), "--since", "2026-11-20", "--until",
                    "2026-11-30", "--by-stamp", "--list")
    assert fetch.returncode == 0, fetch.stderr
    assert key_of(logs) in fetch.stdout
    again = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert again.returncode == 0 and "1 known" in again.stderr, again.stderr


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_verification_off_works_but_says_so(tmp_path, kind, swift_server, tls_swift):
    """No CA configured, as in the refused case, but verification is off."""
    logs = tmp_path / "logs"
    rotated(logs, STAMPED, DATA)
    option, value = BACKENDS[kind]["off"]
    cfg, name = store_config(tmp_path, kind, tls_swift, **{option: value})
    forwarded = tls_swift.forwarded
    up = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert up.returncode == 0, up.stderr
    assert up.stderr.count(f"TLS certificate verification is OFF for {kind}") == 1, up.stderr
    assert "Traceback" not in up.stderr
    assert tls_swift.forwarded > forwarded  # over TLS, not around it
    body, _ = stored(swift_server, name, key_of(logs))
    assert body == DATA


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_verification_off_is_said_once_not_per_request(tmp_path, kind, tls_swift):
    logs = tmp_path / "logs"
    rotated(logs, STAMPED, DATA)
    option, value = BACKENDS[kind]["off"]
    cfg, _ = store_config(tmp_path, kind, tls_swift, **{option: value})
    up = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert up.returncode == 0, up.stderr
    assert all(line.startswith("swiftrotate: ") for line in up.stderr.splitlines()), up.stderr


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_ca_from_the_environment_as_the_hint_says(tmp_path, kind, swift_server, tls_swift, ca_pem):
    logs = tmp_path / "logs"
    rotated(logs, STAMPED, DATA)
    cfg, name = store_config(tmp_path, kind, tls_swift)
    env = {f"SWIFTROTATE_{kind.upper()}_{BACKENDS[kind]['ca_option'].upper()}": ca_pem}
    up = run_cli("--config", cfg, "upload", str(logs / "app.log"), env=env)
    assert up.returncode == 0, up.stderr
    body, _ = stored(swift_server, name, key_of(logs))
    assert body == DATA

