"""Expiry on S3: `upload` tags each archive, `swiftrotate lifecycle` installs
the rules that act on the tags. SeaweedFS keeps tags and rules; Swift's s3api
refuses them and `rclone serve s3` drops them, and both must end in a clear
error with the rotated file kept."""
import os
import uuid

import pytest

from tests.support.clirun import rotated, run_cli, write_config

MIB = 1024 * 1024
TAG = "swiftrotate-expire-days"


def conf(tmp_path, endpoint, access, secret, dest, sections=None, **general):
    return write_config(tmp_path / "c.conf", {
        "swiftrotate": {"dest": dest, "state_dir": str(tmp_path / "state"), "host": "web01",
                        "settle_seconds": "0", **general},
        "s3": {"endpoint_url": endpoint, "region": "us-east-1", "access_key_id": access,
               "secret_access_key": secret, "addressing_style": "path", "multipart_threshold": "6M",
               "part_size": "5M"},
        **(sections or {})})


def weed_conf(tmp_path, weed, dest, sections=None, **general):
    return conf(tmp_path, weed.endpoint, weed.access_key, weed.secret_key, dest, sections, **general)


def bucket():
    return "exp-" + uuid.uuid4().hex[:12]


def tags(client, name, key):
    return client.get_object_tagging(Bucket=name, Key=key)["TagSet"]


def rules(client, name):
    from botocore.exceptions import ClientError

    try:
        return client.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchLifecycleConfiguration"
        return []


def one_clean_line(stderr):
    """The one error line (an upload adds its summary line after it)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if "error:" in line or "not archived:" in line]
    assert len(lines) == 1, stderr
    return lines[0]


def test_upload_tags_plain_and_multipart_archives_per_log(tmp_path, seaweed_server):
    name = bucket()
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261124", b"small\n" * 100)
    rotated(logs, "big.log-20261124", os.urandom(12 * MIB))  # > multipart_threshold: multipart
    cfg = weed_conf(tmp_path, seaweed_server, f"s3://{name}/prod", expire_after="30",
                    sections={f"log {logs}/big.log": {"expire_after": "7"}})
    proc = run_cli("--config", cfg, "upload", f"{logs}/app.log {logs}/big.log")
    assert proc.returncode == 0, proc.stderr
    client = seaweed_server.client()
    base = f"prod/web01{logs}"
    assert tags(client, name, f"{base}/app.log-20261124") == [{"Key": TAG, "Value": "30"}]
    assert tags(client, name, f"{base}/big.log-20261124") == [{"Key": TAG, "Value": "7"}]
    head = client.head_object(Bucket=name, Key=f"{base}/big.log-20261124")
    assert head["ContentLength"] == 12 * MIB and "sha256" in head["Metadata"]


def test_no_expire_after_means_no_tag_until_it_is_set(tmp_path, seaweed_server):
    name = bucket()
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261124", b"archived long ago\n")
    before = run_cli("--config", weed_conf(tmp_path, seaweed_server, f"s3://{name}"), "upload", f"{logs}/app.log")
    assert before.returncode == 0, before.stderr
    key = f"web01{logs}/app.log-20261124"
    client = seaweed_server.client()
    assert tags(client, name, key) == []
    client.put_object_tagging(Bucket=name, Key=key, Tagging={"TagSet": [{"Key": "team", "Value": "ops"}]})
    (tmp_path / "state/ledger.sqlite").unlink()  # a new host, or a rebuilt ledger: the store is asked
    after = run_cli("--config", weed_conf(tmp_path, seaweed_server, f"s3://{name}", expire_after="30"),
                    "upload", "-v", f"{logs}/app.log")
    assert after.returncode == 0 and "1 already in store" in after.stderr, after.stderr
    assert sorted(tags(client, name, key), key=lambda t: t["Key"]) == [
        {"Key": TAG, "Value": "30"}, {"Key": "team", "Value": "ops"}]


def test_lifecycle_dry_run_install_idempotent_and_leaves_other_rules(tmp_path, seaweed_server):
    name = bucket()
    client = seaweed_server.client()
    client.create_bucket(Bucket=name)
    theirs = {"ID": "ops-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}
    client.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [theirs]})
    cfg = weed_conf(tmp_path, seaweed_server, f"s3://{name}/prod", expire_after="30",
                    sections={"log /var/log/audit/*": {"expire_after": "365"}})

    dry = run_cli("--config", cfg, "lifecycle", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "+ swiftrotate:prod/:expire-30d: expire after 30 days" in dry.stdout
    assert "+ swiftrotate:prod/:expire-365d" in dry.stdout and "dry run" in dry.stdout
    assert "ops-tmp" in dry.stdout and "left alone" in dry.stdout
    assert rules(client, name) == [theirs]  # a dry run changes nothing

    real = run_cli("--config", cfg, "lifecycle")
    assert real.returncode == 0, real.stderr
    assert "2 added" in real.stdout
    by_id = {r["ID"]: r for r in rules(client, name)}
    assert by_id["ops-tmp"] == theirs
    assert by_id["swiftrotate:prod/:expire-30d"] == {
        "ID": "swiftrotate:prod/:expire-30d", "Status": "Enabled", "Expiration": {"Days": 30},
        "Filter": {"And": {"Prefix": "prod/", "Tags": [{"Key": TAG, "Value": "30"}]}}}
    assert by_id["swiftrotate:prod/:expire-365d"]["Expiration"] == {"Days": 365}

    again = run_cli("--config", cfg, "lifecycle")
    assert again.returncode == 0, again.stderr
    assert "up to date (3 rules)" in again.stdout and "+ " not in again.stdout
    assert len(rules(client, name)) == 3

    # 30 -> 60 days: the new rule is added, the 30-day rule stays for objects already tagged 30.
    cfg = weed_conf(tmp_path, seaweed_server, f"s3://{name}/prod", expire_after="60")
    moved = run_cli("--config", cfg, "lifecycle")
    assert moved.returncode == 0, moved.stderr
    assert "+ swiftrotate:prod/:expire-60d" in moved.stdout
    assert "swiftrotate:prod/:expire-30d" in moved.stdout and "kept" in moved.stdout
    assert {r["ID"] for r in rules(client, name)} == {
        "ops-tmp", "swiftrotate:prod/:expire-30d", "swiftrotate:prod/:expire-365d", "swiftrotate:prod/:expire-60d"}


def test_lifecycle_puts_back_a_rule_changed_by_hand(tmp_path, seaweed_server):
    name = bucket()
    cfg = weed_conf(tmp_path, seaweed_server, f"s3://{name}", expire_after="30")
    assert run_cli("--config", cfg, "lifecycle").returncode == 0
    client = seaweed_server.client()
    [ours] = rules(client, name)
    assert ours["Filter"] == {"Tag": {"Key": TAG, "Value": "30"}}  # no prefix: the tag alone
    ours["Expiration"] = {"Days": 5}
    client.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [ours]})
    fixed = run_cli("--config", cfg, "lifecycle")
    assert fixed.returncode == 0, fixed.stderr
    assert "- swiftrotate::expire-30d: expire after 5 days" in fixed.stdout
    assert "+ swiftrotate::expire-30d: expire after 30 days" in fixed.stdout
    assert [r["Expiration"] for r in rules(client, name)] == [{"Days": 30}]


def test_lifecycle_flag_and_missing_configuration(tmp_path, seaweed_server):
    name = bucket()
    cfg = weed_conf(tmp_path, seaweed_server, f"s3://{name}")
    none = run_cli("--config", cfg, "lifecycle")
    assert none.returncode == 78 and "no expire_after" in one_clean_line(none.stderr)
    flag = run_cli("--config", cfg, "lifecycle", "--expire-after", "14")
    assert flag.returncode == 0, flag.stderr
    assert [r["ID"] for r in rules(seaweed_server.client(), name)] == ["swiftrotate::expire-14d"]


def test_lifecycle_is_for_s3_only(tmp_path):
    cfg = write_config(tmp_path / "c.conf", {"swiftrotate": {"state_dir": str(tmp_path / "state"),
                                                             "expire_after": "30"}})
    proc = run_cli("--config", cfg, "lifecycle")
    assert proc.returncode == 2
    assert "s3://" in one_clean_line(proc.stderr) and "X-Delete-After" in proc.stderr


@pytest.mark.parametrize("size", [100, 12 * MIB], ids=["plain", "multipart"])
def test_expiry_on_s3api_is_a_config_error_and_the_file_stays(tmp_path, swift_server, size):
    name = bucket()
    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-20261124", os.urandom(size))
    cfg = conf(tmp_path, swift_server.endpoint, swift_server.user, swift_server.key, f"s3://{name}",
               expire_after="30")
    proc = run_cli("--config", cfg, "upload", f"{logs}/app.log")
    assert proc.returncode == 78, proc.stderr
    line = one_clean_line(proc.stderr)
    assert "does not keep object tags" in line and "drop expire_after" in line
    assert path.exists()
    listed = swift_server.s3_client().list_objects_v2(Bucket=name).get("Contents", [])
    assert listed == []


def test_lifecycle_on_s3api_says_the_store_cannot(tmp_path, swift_server):
    cfg = conf(tmp_path, swift_server.endpoint, swift_server.user, swift_server.key, f"s3://{bucket()}",
               expire_after="30")
    proc = run_cli("--config", cfg, "lifecycle")
    assert proc.returncode == 69, proc.stderr  # s3api takes the rules for a malformed bucket PUT
    assert "may not support bucket lifecycle rules" in one_clean_line(proc.stderr)


def test_a_store_that_drops_tags_is_caught_and_nothing_untagged_stays(tmp_path, rclone_server):
    name = bucket()
    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-20261124", b"would never expire\n")
    cfg = conf(tmp_path, rclone_server.endpoint, rclone_server.access_key, rclone_server.secret_key,
               f"s3://{name}", expire_after="30")
    with open(cfg, "a") as f:
        f.write("checksum = when_required\n")
    proc = run_cli("--config", cfg, "upload", f"{logs}/app.log")
    assert proc.returncode == 78, proc.stderr
    assert "does not keep object tags" in one_clean_line(proc.stderr)
    assert path.exists()
    assert rclone_server.client().list_objects_v2(Bucket=name).get("Contents", []) == []


def test_lifecycle_on_rclone_fails_and_leaves_the_bucket(tmp_path, rclone_server):
    # rclone takes lifecycle PUT for CreateBucket (and DELETE for DeleteBucket):
    # the command must fail cleanly and never delete anything.
    name = bucket()
    client = rclone_server.client()
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="keep", Body=b"x")
    cfg = conf(tmp_path, rclone_server.endpoint, rclone_server.access_key, rclone_server.secret_key,
               f"s3://{name}", expire_after="30")
    with open(cfg, "a") as f:
        f.write("checksum = when_required\n")
    proc = run_cli("--config", cfg, "lifecycle")
    assert proc.returncode != 0
    assert "lifecycle" in one_clean_line(proc.stderr)
    assert [o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"]] == ["keep"]
