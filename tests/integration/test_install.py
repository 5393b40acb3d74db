"""scripts/install, as a sysadmin runs it, from a fresh clone of HEAD; then
real logrotate calls the installed command by its bare name.

PREFIX, BINDIR and CONFIG point into tmp; everything else is the real thing:
a venv, pip installing the clone from PyPI's dependencies, /usr/sbin/logrotate.
"""
import os
import pathlib
import shutil
import stat
import subprocess
import time

import pytest

from tests.support.clirun import write_config
from tests.support.lrlab import LOGROTATE, Lab

REPO = pathlib.Path(__file__).resolve().parents[2]
HOOK = 'swiftrotate upload "$1"'


def run_install(src, env):
    return subprocess.run([str(src / "scripts/install")], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("install")
    src = root / "src"
    subprocess.run(["git", "clone", "-q", str(REPO), str(src)], check=True, timeout=120)
    env = {"PREFIX": str(root / "opt/swiftrotate"), "BINDIR": str(root / "bin"),
           "CONFIG": str(root / "etc/swiftrotate.conf"), "MANDIR": str(root / "man/man1")}
    start = time.monotonic()
    first = run_install(src, env)
    print(f"scripts/install from a fresh clone: {time.monotonic() - start:.1f}s")
    again = run_install(src, env)
    # the install must not depend on the clone it came from (not an editable install)
    shutil.rmtree(src)
    return root, env, first, again


def test_install_creates_the_venv_the_link_and_the_config(installed):
    root, env, first, again = installed
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("installed: swiftrotate, version ") and lines[0].endswith(env["PREFIX"])
    assert f"linked: {env['BINDIR']}/swiftrotate -> {env['PREFIX']}/bin/swiftrotate" in lines
    assert f"config: wrote {env['CONFIG']} (mode 0600) from examples/swiftrotate.conf" in lines
    link = pathlib.Path(env["BINDIR"], "swiftrotate")
    assert os.readlink(link) == env["PREFIX"] + "/bin/swiftrotate"
    assert stat.S_IMODE(os.stat(env["CONFIG"]).st_mode) == 0o600
    assert pathlib.Path(env["CONFIG"]).read_text() == (REPO / "examples/swiftrotate.conf").read_text()
    assert f"man page: {env['MANDIR']}/swiftrotate.1" in lines
    assert pathlib.Path(env["MANDIR"], "swiftrotate.1").read_text().startswith(".TH SWIFTROTATE 1 ")
    # the next steps: a dry run, the hook, then doctor on both configs
    assert f"swiftrotate --config {env['CONFIG']} upload --dry-run '/var/log/nginx/*.log'" in first.stdout
    assert f"5. check logrotate's config and swiftrotate's together: swiftrotate --config {env['CONFIG']} doctor" \
        in first.stdout


def test_install_again_upgrades_in_place_and_keeps_the_config(installed):
    root, env, first, again = installed
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines()[0].startswith("upgraded: swiftrotate, version ")
    assert f"config: kept {env['CONFIG']} as it is" in again.stdout


def test_install_refuses_to_replace_a_command_that_is_not_its_link(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "swiftrotate").write_text("#!/bin/sh\n")
    proc = run_install(REPO, {"PREFIX": str(tmp_path / "opt"), "BINDIR": str(bindir),
                              "CONFIG": str(tmp_path / "swiftrotate.conf"), "MANDIR": str(tmp_path / "man")})
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"scripts/install: {bindir}/swiftrotate exists and is not a link (another install?): "
        "remove it, then run this again"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]  # nothing made


def rotate_with_bare_hook(root, name, config, path):
    """One forced logrotate run of a stanza whose postrotate is the bare
    `swiftrotate upload "$1"`, with PATH as given; returns (proc, lab, store)."""
    store = root / f"{name}-store"
    write_config(pathlib.Path(config), {"swiftrotate": {
        "dest": f"file://{store}", "state_dir": str(root / f"{name}-state"), "host": "web01",
        "settle_seconds": "0"}})
    lab = Lab(root / name, config)
    lab.configure_scripts({"postrotate": HOOK})
    lab.write_lines("day1")
    env = {"PATH": path, "SWIFTROTATE_CONFIG": config, "LANG": "C.UTF-8"}
    proc = subprocess.run([LOGROTATE, "-f", "-s", str(lab.state), str(lab.conf)], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    return proc, lab, store


def test_logrotate_finds_the_installed_command_by_its_bare_name(installed):
    root, env, first, again = installed
    config = str(root / "lab.conf")
    proc, lab, store = rotate_with_bare_hook(root, "lab", config, env["BINDIR"] + ":/usr/bin:/bin")
    assert proc.returncode == 0, proc.stderr
    rotated = lab.rotated_files()
    assert [p.name.split("-")[0] for p in rotated] == ["app.log", "web.log"], rotated
    listing = subprocess.run([env["BINDIR"] + "/swiftrotate", "--config", config, "ls"],
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    for path in rotated:
        key = f"web01{path}"
        assert key in listing.stdout
        assert (store / key).read_bytes() == path.read_bytes()


def test_without_bindir_on_path_the_hook_is_not_found(installed):
    root, env, first, again = installed
    proc, lab, store = rotate_with_bare_hook(root, "nopath", str(root / "nopath.conf"), "/usr/bin:/bin")
    assert proc.returncode != 0
    assert "swiftrotate: not found" in proc.stderr
    assert not store.exists()
