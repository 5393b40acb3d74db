"""Debian's own logrotate configs, fetched for a test with `apt-get download`.

The .debs of the packages below are downloaded and unpacked with `dpkg-deb -x` into a temporary
folder (never into the repo); `fetch_etc` returns the unpacked etc/, which holds logrotate.conf and
logrotate.d/. Needs root and Debian's logrotate; under CI a failed download fails, elsewhere it skips.
"""
import os
import subprocess

import pytest

LOGROTATE = "/usr/sbin/logrotate"

# package -> its files in /etc/logrotate.d, and what each shows
PACKAGES = {
    "nginx-common": ["nginx"],  # sharedscripts, prerotate with backslash-continued lines, create user
    "apache2": ["apache2"],  # the same shape as nginx
    "rsyslog": ["rsyslog"],  # one pattern per line, `{` alone on its line
    "mariadb-server": ["mariadb"],  # three patterns, comments everywhere, minsize/maxsize
    "postgresql-common": ["postgresql-common"],  # copytruncate, su root root
    "squid": ["squid"],  # nocreate, a comment block before the pattern
    "unattended-upgrades": ["unattended-upgrades"],  # a trailing space after a pattern
    "fail2ban": ["fail2ban"],  # blank and comment lines inside, a commented-out create
    "haproxy": ["haproxy"],
    "dpkg": ["dpkg", "alternatives"],
    "logrotate": ["btmp", "wtmp"],  # and /etc/logrotate.conf (weekly, rotate 4, create, include)
}
CONFS = [f for files in PACKAGES.values() for f in files]


def unavailable(msg):
    """Fail under CI (a missing tool is a failure there), skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def _download(packages, dest):
    cmd = ["apt-get", "download", "-q", *packages]
    proc = subprocess.run(cmd, cwd=dest, capture_output=True, text=True)
    if proc.returncode and os.getuid() == 0:  # stale or missing package lists: refresh once
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
        proc = subprocess.run(cmd, cwd=dest, capture_output=True, text=True)
    if proc.returncode:
        unavailable(f"apt-get download failed: {proc.stderr.strip()[-1000:]}")


def fetch_etc(dest):
    """Debian's etc/ with the packages' logrotate files, unpacked under `dest` from their .debs."""
    if not os.path.exists(LOGROTATE) or os.getuid() != 0:
        unavailable("needs root and Debian's logrotate (scripts/test installs it)")
    _download(list(PACKAGES), dest)
    for deb in sorted(dest.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(dest / "root")], check=True)
    return dest / "root" / "etc"
