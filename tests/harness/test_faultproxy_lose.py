"""FaultProxy.lose(): a lost request never reaches the server, a lost answer
comes after the server acted. Proved against the real Swift (and its s3api)."""
import http.client
import os
import uuid

import boto3
import pytest
from botocore.config import Config
from swiftclient.client import ClientException, Connection

from tests.support.servers import FaultProxy


def _name(prefix="lose"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def _swift(url):
    return Connection(authurl=url, user="test:tester", key="testing", retries=0, timeout=10)


def _exists(direct, container, obj):
    try:
        direct.head_object(container, obj)
        return True
    except ClientException as exc:
        assert exc.http_status == 404, exc
        return False


@pytest.fixture
def fp(swift_server):
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        yield proxy


@pytest.fixture
def swift_pair(swift_server, fp):
    """(connection through the proxy, direct connection, container)."""
    via, direct, container = _swift(fp.url_for("/auth/v1.0")), _swift(swift_server.auth_url), _name()
    direct.put_container(container)
    yield via, direct, container
    via.close()
    direct.close()


def test_seen_lists_every_request_line_in_order(fp, swift_pair):
    via, _, container = swift_pair
    via.put_object(container, "o", b"x" * 100000, query_string="a=b")
    via.head_object(container, "o")
    path = "/v1/AUTH_test/%s/o" % container
    assert fp.seen == ["GET /auth/v1.0", "PUT %s?a=b" % path, "HEAD %s" % path]
    assert fp.lost == []


def test_lost_answer_to_a_put_the_object_exists(fp, swift_pair):
    via, direct, container = swift_pair
    via.head_container(container)  # a keep-alive connection the rule must not spoil for others
    fp.lose("put", container + "/big")
    data = os.urandom(3 * 1024 * 1024)
    with pytest.raises(Exception) as caught:
        via.put_object(container, "big", data)
    assert not isinstance(caught.value, ClientException) or caught.value.http_status is None
    assert fp.lost == ["PUT /v1/AUTH_test/%s/big" % container]
    assert direct.get_object(container, "big")[1] == data  # the server acted
    # the rule is used up: the same request passes now, on a fresh connection
    via.put_object(container, "big", data)
    assert len(fp.lost) == 1


def test_lost_request_the_server_never_acts(fp, swift_pair):
    via, direct, container = swift_pair
    via.head_container(container)
    fp.lose("PUT", "/small", what="request")
    with pytest.raises(Exception):
        via.put_object(container, "small", b"hello")
    assert fp.lost == ["PUT /v1/AUTH_test/%s/small" % container]
    assert not _exists(direct, container, "small")
    via.put_object(container, "small", b"hello")  # passes once the rule is consumed
    assert direct.get_object(container, "small")[1] == b"hello"


def test_lost_request_with_a_big_body_sends_nothing(fp, swift_pair):
    via, direct, container = swift_pair
    fp.lose("PUT", what="request")
    with pytest.raises(Exception):
        via.put_object(container, "body", os.urandom(2 * 1024 * 1024))
    assert not _exists(direct, container, "body")


def test_lost_answers_to_head_get_delete(fp, swift_pair):
    via, direct, container = swift_pair
    direct.put_object(container, "o", b"payload")
    for method, call in (("HEAD", lambda: via.head_object(container, "o")),
                         ("GET", lambda: via.get_object(container, "o"))):
        fp.lose(method, "/o")
        with pytest.raises(Exception):
            call()
    assert via.get_object(container, "o")[1] == b"payload"  # pooled connection replaced, rule gone
    fp.lose("DELETE")
    with pytest.raises(Exception):
        via.delete_object(container, "o")
    assert not _exists(direct, container, "o")  # deleted, though the client never heard it
    assert [line.split(" ")[0] for line in fp.lost] == ["HEAD", "GET", "DELETE"]


def test_rules_stack_count_and_clear(fp, swift_pair):
    via, direct, container = swift_pair
    fp.lose("PUT", "/a", what="request", count=2)
    fp.lose("PUT", "/b")  # only PUTs of /b
    fp.lose("POST")  # never fires here
    for obj, expect in (("a", False), ("a", False), ("b", True)):
        with pytest.raises(Exception):
            via.put_object(container, obj, b"1")
        assert _exists(direct, container, obj) is expect
    via.put_object(container, "a", b"2")  # both rules used up
    via.put_object(container, "b", b"2")
    assert direct.get_object(container, "a")[1] == b"2"
    fp.clear_lose()
    via.post_object(container, "a", {"x-object-meta-k": "v"})
    assert len(fp.lost) == 3


def test_lost_answer_after_100_continue(fp, swift_server):
    """A client that sends Expect: 100-continue gets the interim answer (it
    must, to send its body); the final answer is what is lost."""
    direct = _swift(swift_server.auth_url)
    container = _name()
    direct.put_container(container)
    url, token = direct.get_auth()
    body = os.urandom(200000)
    conn = http.client.HTTPConnection("127.0.0.1", fp.port, timeout=10)
    fp.lose("PUT")
    conn.putrequest("PUT", "/v1/AUTH_test/%s/cont" % container)
    for name, value in (("X-Auth-Token", token), ("Content-Length", str(len(body))),
                        ("Expect", "100-continue")):
        conn.putheader(name, value)
    conn.endheaders()
    interim = conn.sock.recv(1024)
    assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
    conn.sock.sendall(body)
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.getresponse().read()
    conn.close()
    assert direct.get_object(container, "cont")[1] == body
    direct.close()


def test_lost_answer_to_an_s3_upload_part(fp, swift_server):
    """boto3 (Expect: 100-continue on parts) through the s3api: the part is
    stored although the client never heard so."""
    def client(endpoint):
        return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                            aws_access_key_id="test:tester", aws_secret_access_key="testing",
                            config=Config(retries={"mode": "standard", "total_max_attempts": 1},
                                          read_timeout=10, connect_timeout=2))

    via, direct = client(fp.url_for()), client(swift_server.endpoint)
    bucket = _name("b")
    direct.create_bucket(Bucket=bucket)
    upload = via.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    fp.lose("PUT", "partNumber=1")
    with pytest.raises(Exception):
        via.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=os.urandom(5 * 1024 * 1024))
    assert len(fp.lost) == 1 and "uploadId=" in fp.lost[0]
    parts = direct.list_parts(Bucket=bucket, Key="k", UploadId=upload).get("Parts", [])
    assert [p["PartNumber"] for p in parts] == [1]
    direct.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload)


def test_lose_leaves_other_modes_alone(fp, swift_pair):
    """An armed rule fires only in "pass" mode; status mode still answers."""
    via, direct, container = swift_pair
    via.head_container(container)  # logged in: the canned status goes to the PUT
    fp.lose("PUT", what="request")
    fp.status_code, fp.status_count, fp.mode = 503, 1, "status"
    with pytest.raises(ClientException) as caught:
        via.put_object(container, "s", b"x")
    assert caught.value.http_status == 503 and fp.lost == []
    assert fp.seen[-1] == "PUT /v1/AUTH_test/%s/s" % container
    with pytest.raises(Exception):
        via.put_object(container, "s", b"x")  # back in "pass": now the rule fires
    assert len(fp.lost) == 1 and not _exists(direct, container, "s")
