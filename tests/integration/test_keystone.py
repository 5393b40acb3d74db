"""swiftrotate with Keystone auth, against a real OpenStack Keystone (v3,
keystone==30.0.0 from .venv-keystone) and a real Swift proxy that checks its
tokens (authtoken + keystoneauth), both started by the `keystone` fixture.

Only identity API v3 is tested: Keystone removed v2.0 (Queens, 2018), so no
current Keystone can serve it. The catalog (see KeystoneSwift) has RegionOne
(public: the proxy; internal: a counting pass-through to it) and RegionTwo
(connections refused), so each choice of region and interface is visible.
"""
import os
from contextlib import closing
import uuid

import pytest
import swiftclient

from tests.support.clirun import rotated, run_cli, write_config

CANARY = "CANARY-wrong-pw-0d4b7e"


@pytest.fixture
def lab(tmp_path, keystone):
    """A rotated log, and a config writer for a fresh container."""
    data = os.urandom(8).hex().encode() * 1000 + b"\n"
    rotated(tmp_path / "logs", "app.log-20261101", data)
    container = "k" + uuid.uuid4().hex[:12]

    def config(**swift):
        sections = {"swiftrotate": {"dest": f"swift://{container}", "state_dir": str(tmp_path / "state"),
                                    "host": "web01"},
                    # retries = 0: a refused endpoint fails at once instead of backing off
                    "swift": {"retries": "0", **swift}}
        return write_config(tmp_path / "swiftrotate.conf", sections)

    class Lab:
        pass
    lab = Lab()
    lab.data, lab.container, lab.config = data, container, config
    lab.log = str(tmp_path / "logs" / "app.log")
    return lab


def account(keystone):
    """The project's account, authenticated independently of swiftrotate."""
    return swiftclient.Connection(
        authurl=keystone.keystone.v3_url, user=keystone.USER, key=keystone.PASSWORD, auth_version="3",
        os_options={"project_name": keystone.PROJECT, "user_domain_name": keystone.USER_DOMAIN,
                    "project_domain_name": keystone.PROJECT_DOMAIN, "region_name": "RegionOne"})


def no_secret(proc, *secrets):
    for secret in secrets:
        assert secret not in proc.stdout and secret not in proc.stderr


def one_line_error(proc):
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("swiftrotate: error:"), proc.stderr
    return lines[0]


def upload_in_python(script, keystone, lab):
    """`swiftrotate upload` run by `script` (which ends in cli.main()) in a
    fresh interpreter, with the Keystone environment."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWIFTROTATE_", "ST_", "OS_", "AWS_"))}
    env.update(keystone.env())
    return subprocess.run([sys.executable, "-c", script + "sys.argv = ['swiftrotate'] + sys.argv[1:]\ncli.main()\n",
                           "--config", lab.config(), "upload", lab.log],
                          capture_output=True, text=True, env=env, timeout=120)


def test_keystone_login_after_a_v1_store_in_the_same_process(keystone, lab):
    """A v1 store hides keystoneclient from python-swiftclient (see
    swift._import_swiftclient); a Keystone store opened later in the same
    process must get it back."""
    script = ("import sys, swiftrotate.backends.swift as s, swiftrotate.cli as cli\n"
              "s.SwiftBackend('x', auth_url='http://127.0.0.1:9/auth/v1.0', user='a:b', key='k')\n"
              "assert s._import_swiftclient(False).client.ksclient_v3 is None\n")
    proc = upload_in_python(script, keystone, lab)
    assert proc.returncode == 0, proc.stderr
    with closing(account(keystone)) as conn:
        assert int(conn.head_object(lab.container, f"web01{lab.log}-20261101")["content-length"]) == len(lab.data)


def test_keystone_without_keystoneclient_installed_is_a_config_error(keystone, lab):
    """python-swiftclient without python-keystoneclient cannot log in to
    Keystone: that is a setup to fix (78), not an outage to retry (75)."""
    script = ("import sys\n"
              "sys.modules['keystoneclient'] = sys.modules['keystoneauth1'] = None  # as if not installed\n"
              "import swiftrotate.cli as cli\n")
    proc = upload_in_python(script, keystone, lab)
    assert proc.returncode == 78, proc.stderr
    assert "pip install python-keystoneclient" in proc.stderr and "Traceback" not in proc.stderr


def test_upload_ls_fetch_with_the_swift_cli_variables(keystone, lab):
    env = keystone.env()  # OS_AUTH_URL=.../v3, OS_IDENTITY_API_VERSION=3, domains, RegionOne, public
    up = run_cli("--config", lab.config(), "upload", lab.log, env=env)
    assert up.returncode == 0, up.stderr
    key = f"web01{lab.log}-20261101"
    # it landed in the Keystone project's account, with our checksum
    with closing(account(keystone)) as conn:
        assert conn.get_auth()[0] == keystone.storage_url
        head = conn.head_object(lab.container, key)
    assert int(head["content-length"]) == len(lab.data) and head.get("x-object-meta-sha256")

    listed = run_cli("--config", lab.config(), "ls", env=env)
    assert listed.returncode == 0, listed.stderr
    assert key in listed.stdout

    fetched = run_cli("--config", lab.config(), "fetch", lab.log, "--since", "2026-10-31",
                      "--until", "2026-11-01", "--stdout", env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.encode() == lab.data
    no_secret(up, keystone.PASSWORD)


@pytest.mark.parametrize("variant", [
    # versionless OS_AUTH_URL: v3 because domains are set, as the swift CLI decides
    {"OS_AUTH_URL": "{url}", "OS_IDENTITY_API_VERSION": None},
    {"OS_AUTH_URL": "{url}", "OS_IDENTITY_API_VERSION": None, "OS_AUTH_VERSION": "3"},
    # the swift CLI's endpoint-type spelling instead of OS_INTERFACE
    {"OS_INTERFACE": None, "OS_ENDPOINT_TYPE": "publicURL"},
], ids=["versionless-url", "os-auth-version", "endpoint-type"])
def test_other_spellings_of_the_same_settings(keystone, lab, variant):
    env = keystone.env(**{k: v and v.format(url=keystone.keystone.url) for k, v in variant.items()})
    up = run_cli("--config", lab.config(), "upload", lab.log, env=env)
    assert up.returncode == 0, up.stderr
    with closing(account(keystone)) as conn:
        assert conn.head_object(lab.container, f"web01{lab.log}-20261101")


def test_lower_case_names_in_the_swift_section(keystone, lab):
    """No OS_* in the environment: everything from [swift], incl. the
    internal interface (seen going through keystone.internal)."""
    cfg = lab.config(os_auth_url=keystone.keystone.v3_url, os_identity_api_version="3",
                     os_username=keystone.USER, os_password=keystone.PASSWORD,
                     os_project_name=keystone.PROJECT, os_user_domain_name=keystone.USER_DOMAIN,
                     os_project_domain_name=keystone.PROJECT_DOMAIN, os_region_name="RegionOne",
                     os_interface="internal")
    before = keystone.internal.requests
    up = run_cli("--config", cfg, "upload", lab.log)
    assert up.returncode == 0, up.stderr
    assert keystone.internal.requests > before
    fetched = run_cli("--config", cfg, "fetch", lab.log, "--since", "2026-10-31", "--until", "2026-11-01",
                      "--stdout")
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.encode() == lab.data


def test_region_selects_the_endpoint(keystone, lab):
    cfg = lab.config()
    assert run_cli("--config", cfg, "upload", lab.log, env=keystone.env()).returncode == 0

    ok = run_cli("--config", cfg, "ls", env=keystone.env(OS_REGION_NAME="RegionOne"))
    assert ok.returncode == 0 and "app.log-20261101" in ok.stdout, ok.stderr

    # RegionTwo's endpoint is picked: its port refuses connections -> temporary
    two = run_cli("--config", cfg, "ls", env=keystone.env(OS_REGION_NAME="RegionTwo"))
    assert two.returncode == 75, two.stderr
    assert f"cannot reach http://127.0.0.1:{keystone.dead.port}: connection refused" in one_line_error(two)

    # a region the catalog does not have: a configuration error, one line
    bad = run_cli("--config", cfg, "ls", env=keystone.env(OS_REGION_NAME="RegionNine"))
    assert bad.returncode == 78, bad.stderr
    line = one_line_error(bad)
    assert "'RegionNine'" in line and "OS_REGION_NAME" in line


@pytest.mark.parametrize("interface,internal", [
    ({"OS_INTERFACE": "public"}, False),
    ({"OS_INTERFACE": "internal"}, True),
    ({"OS_INTERFACE": None, "OS_ENDPOINT_TYPE": "internalURL"}, True),
], ids=["public", "internal", "endpoint-type-internalURL"])
def test_interface_selects_the_endpoint(keystone, lab, interface, internal):
    before = keystone.internal.requests
    up = run_cli("--config", lab.config(), "upload", lab.log, env=keystone.env(**interface))
    assert up.returncode == 0, up.stderr
    assert (keystone.internal.requests > before) == internal


def test_interface_without_an_endpoint_is_a_config_error(keystone, lab):
    proc = run_cli("--config", lab.config(), "upload", lab.log, env=keystone.env(OS_INTERFACE="admin"))
    assert proc.returncode == 78, proc.stderr
    assert "'adminURL'" in proc.stderr and "OS_INTERFACE" in proc.stderr


def test_wrong_password_is_77_and_never_shown(keystone, lab):
    env = keystone.env(OS_PASSWORD=CANARY)
    plain = run_cli("--config", lab.config(), "ls", env=env)
    assert plain.returncode == 77, plain.stderr
    assert "authorization failed" in one_line_error(plain)
    up = run_cli("--config", lab.config(), "--debug", "upload", lab.log, env=env)
    assert up.returncode == 77, up.stderr
    debug = run_cli("--config", lab.config(), "--debug", "ls", env=env)
    assert debug.returncode == 77, debug.stderr
    assert "Traceback" in debug.stderr  # --debug really is on
    no_secret(plain, CANARY)
    no_secret(up, CANARY)
    no_secret(debug, CANARY)
    # nor the right one, in a successful --debug run
    good = run_cli("--config", lab.config(), "--debug", "upload", lab.log, env=keystone.env())
    assert good.returncode == 0, good.stderr
    no_secret(good, keystone.PASSWORD)


def test_domains_are_not_mixed_up(keystone, lab):
    """The user and the project live in different domains: swapping the two
    variables is refused by Keystone (77), so each one reaches it as itself."""
    env = keystone.env(OS_USER_DOMAIN_NAME=keystone.PROJECT_DOMAIN, OS_PROJECT_DOMAIN_NAME=keystone.USER_DOMAIN)
    proc = run_cli("--config", lab.config(), "ls", env=env)
    assert proc.returncode == 77, proc.stderr


def test_storage_url_and_token_instead_of_a_password(keystone, lab):
    """`swift auth`'s output (OS_STORAGE_URL + OS_AUTH_TOKEN) is enough."""
    token, _ = keystone.keystone.password_token(keystone.USER, keystone.PASSWORD, keystone.PROJECT,
                                                keystone.USER_DOMAIN, keystone.PROJECT_DOMAIN)
    env = keystone.env(OS_PASSWORD=None, OS_USERNAME=None, OS_STORAGE_URL=keystone.storage_url,
                       OS_AUTH_TOKEN=token)
    up = run_cli("--config", lab.config(), "upload", lab.log, env=env)
    assert up.returncode == 0, up.stderr
    no_secret(up, token)
