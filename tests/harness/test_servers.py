"""Smoke tests for the test servers themselves (tests/support/servers.py, faultproxy.py)."""
import hashlib
import http.client
import json
import os
import socket
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from swiftclient.client import ClientException, Connection

from tests.support.servers import FaultProxy, SwiftServer, free_port


def _name(prefix="t"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def _swift(server_or_url, retries=0, **kw):
    url = getattr(server_or_url, "auth_url", server_or_url)
    return Connection(authurl=url, user="test:tester", key="testing", retries=retries, **kw)


def _get(port, path="/info", timeout=5, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.fixture
def fp(swift_server):
    """A FaultProxy in front of the Swift proxy."""
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        yield proxy


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


# ---------------------------------------------------------------- Swift
def test_swiftclient_put_get(swift_server):
    conn = _swift(swift_server)
    container, body = _name(), b"2026-11-01 something happened\n" * 100
    conn.put_container(container)
    etag = conn.put_object(container, "web1/app.log-20261101", body)
    assert etag == hashlib.md5(body).hexdigest()
    headers, got = conn.get_object(container, "web1/app.log-20261101")
    assert got == body
    _, listing = conn.get_container(container)
    assert [o["name"] for o in listing] == ["web1/app.log-20261101"]


def test_swift_env_and_users(swift_server):
    env = swift_server.env()
    assert env == {"ST_AUTH": swift_server.auth_url, "ST_USER": "test:tester", "ST_KEY": "testing"}
    # the non-admin user authenticates but may not read the account
    conn = Connection(authurl=swift_server.auth_url, user="test:tester3", key="testing3", retries=0)
    with pytest.raises(ClientException) as exc:
        conn.head_account()
    assert exc.value.http_status == 403


def test_swift_uses_our_swift_conf(swift_server):
    # max_file_size comes from the per-run swift.conf, not /etc/swift (saio_launch.py)
    status, body = _get(swift_server.proxy_port, "/info")
    assert status == 200
    assert json.loads(body)["swift"]["max_file_size"] == 16 * 1024 * 1024
    assert json.loads(body)["s3api"]["min_segment_size"] == 5242880


def test_s3api(swift_server):
    s3 = boto3.client("s3", endpoint_url=swift_server.endpoint, region_name="us-east-1",
                      aws_access_key_id="test:tester", aws_secret_access_key="testing")
    bucket, body = _name("s3"), os.urandom(1000)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/b.gz", Body=body, Metadata={"swiftrotate-host": "web1"})
    obj = s3.get_object(Bucket=bucket, Key="a/b.gz")
    assert obj["Body"].read() == body
    assert obj["Metadata"] == {"swiftrotate-host": "web1"}
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["a/b.gz"]
    # the same bucket is a container of AUTH_test for swiftclient
    assert _swift(swift_server).get_object(bucket, "a/b.gz")[1] == body
    assert swift_server.s3_client().head_bucket(Bucket=bucket)


def test_expire(swift_server):
    conn, container = _swift(swift_server), _name()
    conn.put_container(container)
    conn.put_object(container, "short", b"x", headers={"X-Delete-After": "1"})
    deadline = time.monotonic() + 10
    while True:  # the object server hides it as soon as it is due ...
        try:
            conn.head_object(container, "short")
        except ClientException as e:
            assert e.http_status == 404
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    # ... but it stays listed until the updater + expirer have run
    assert [o["name"] for o in conn.get_container(container)[1]] == ["short"]
    swift_server.expire()
    assert conn.get_container(container)[1] == []


def test_stop_and_start_proxy(swift_server):
    conn, container = _swift(swift_server), _name()
    conn.put_container(container)
    conn.put_object(container, "kept", b"still here")
    swift_server.stop_proxy()
    try:
        with pytest.raises(ConnectionRefusedError):
            _get(swift_server.proxy_port, "/healthcheck")
        with pytest.raises(Exception):
            _swift(swift_server).head_account()
    finally:
        swift_server.start_proxy()
    assert _swift(swift_server).get_object(container, "kept")[1] == b"still here"


def test_second_instance_and_cleanup(swift_server, tmp_path):
    # a second server next to the session one: own ports, own data, all gone after stop()
    with SwiftServer(base_dir=str(tmp_path)) as other:
        assert other.proxy_port != swift_server.proxy_port
        assert other.data_dir.startswith(str(tmp_path))
        _swift(other).put_container("only-here")
        procs, data_dir = list(other.procs.values()), other.data_dir
    assert all(p.poll() is not None for p in procs)
    assert not os.path.exists(data_dir)
    assert "only-here" not in [c["name"] for c in _swift(swift_server).get_account()[1]]


# ---------------------------------------------------------------- rclone
def test_rclone_s3(rclone_server):
    s3 = boto3.client("s3", endpoint_url=rclone_server.endpoint, region_name="us-east-1",
                      aws_access_key_id=rclone_server.access_key,
                      aws_secret_access_key=rclone_server.secret_key,
                      config=Config(request_checksum_calculation="when_required",
                                    response_checksum_validation="when_required"))
    bucket, body = _name("rc"), os.urandom(2000)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="web1/app.log-20261101.gz", Body=body)
    assert s3.get_object(Bucket=bucket, Key="web1/app.log-20261101.gz")["Body"].read() == body
    with open(os.path.join(rclone_server.data_dir, bucket, "web1", "app.log-20261101.gz"), "rb") as f:
        assert f.read() == body
    rclone_server.restart()
    got = rclone_server.client().get_object(Bucket=bucket, Key="web1/app.log-20261101.gz")
    assert got["Body"].read() == body


# ---------------------------------------------------------------- FaultProxy
def test_fault_proxy_pass(fp):
    conn = _swift(fp.url_for("/auth/v1.0"))
    container = _name()
    conn.put_container(container)
    conn.put_object(container, "via-proxy", b"data")
    assert conn.get_object(container, "via-proxy")[1] == b"data"
    assert ":%d/" % fp.port in conn.url  # tempauth builds the storage URL from Host
    assert fp.requests == 4  # auth, PUT container, PUT object, GET object
    assert 1 <= fp.connections <= 4


def test_fault_proxy_keepalive_request_count(fp):
    conn = http.client.HTTPConnection("127.0.0.1", fp.port, timeout=5)
    # a Content-Length body and a chunked body must not confuse the request count
    for method, body, chunked in (("GET", None, False), ("POST", b"x" * 70000, False),
                                  ("POST", iter([b"abc", b"d" * 70000]), True), ("GET", None, False)):
        conn.request(method, "/info", body=body, encode_chunked=chunked)
        r = conn.getresponse()
        r.read()
        assert r.status in (200, 405), (method, r.status)
    conn.close()
    assert (fp.connections, fp.requests) == (1, 4)


def test_fault_proxy_status(fp):
    fp.status_code, fp.status_count, fp.mode = 503, 2, "status"
    assert _get(fp.port, "/info")[0] == 503
    # a request with a body (no Expect: 100-continue) still gets a clean answer
    assert _get(fp.port, "/v1/AUTH_test/c/o", method="PUT", body=b"y" * 1000000)[0] == 503
    assert fp.mode == "pass"
    assert _get(fp.port, "/info")[0] == 200
    assert fp.requests == 3


def test_fault_proxy_stall(fp):
    idle = http.client.HTTPConnection("127.0.0.1", fp.port, timeout=5)
    idle.request("GET", "/info")
    idle.getresponse().read()
    fp.mode = "stall"
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        _get(fp.port, "/info", timeout=1)
    assert 0.9 < time.monotonic() - t0 < 3
    assert fp.requests == 2
    fp.mode = "pass"
    assert _get(fp.port, "/info")[0] == 200
    idle.request("GET", "/info")  # an idle keep-alive connection was not stalled
    assert idle.getresponse().status == 200
    idle.close()


def test_fault_proxy_stall_mid_download(swift_server, fp):
    conn, container = _swift(swift_server), _name()
    conn.put_container(container)
    conn.put_object(container, "big", os.urandom(12 * 1024 * 1024))
    raw = http.client.HTTPConnection("127.0.0.1", fp.port, timeout=1)
    raw.connect()
    # a small fixed receive buffer (no autotuning), so that less than the whole
    # object can be in flight towards us when the proxy freezes
    raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    raw.request("GET", "/v1/AUTH_test/%s/big" % container, headers={"X-Auth-Token": conn.token})
    resp = raw.getresponse()
    assert resp.status == 200 and len(resp.read(1000)) == 1000
    fp.mode = "stall"
    with pytest.raises(TimeoutError):
        resp.read()
    raw.close()


def test_fault_proxy_refuse(fp):
    keepalive = http.client.HTTPConnection("127.0.0.1", fp.port, timeout=5)
    keepalive.request("GET", "/info")
    keepalive.getresponse().read()
    fp.mode = "refuse"
    with pytest.raises(ConnectionRefusedError):
        _get(fp.port, "/info")
    with pytest.raises((OSError, http.client.HTTPException)):  # open connections are cut too
        keepalive.request("GET", "/info")
        keepalive.getresponse().read()
    keepalive.close()
    fp.mode = "pass"
    assert _get(fp.port, "/info")[0] == 200


def test_fault_proxy_reset_after(swift_server, fp):
    conn, container = _swift(fp.url_for("/auth/v1.0")), _name()
    conn.put_container(container)
    fp.reset_after_bytes, fp.mode = 100000, "reset_after"
    with pytest.raises(Exception):
        conn.put_object(container, "cut", os.urandom(1000000))
    fp.mode = "pass"
    with pytest.raises(ClientException) as exc:
        _swift(swift_server).head_object(container, "cut")
    assert exc.value.http_status == 404
