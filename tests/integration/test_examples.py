"""The shipped examples must work as shipped."""
import glob
import os
import subprocess

import pytest

from tests.support.lrlab import LOGROTATE
from swiftrotate.config import Settings

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


@pytest.mark.parametrize("conf", sorted(glob.glob(os.path.join(EXAMPLES, "logrotate.d", "*"))),
                         ids=os.path.basename)
def test_logrotate_accepts_the_example(conf, tmp_path):
    # -d parses and plans without touching anything (and runs no scripts)
    proc = subprocess.run([LOGROTATE, "-d", "-s", str(tmp_path / "state"), conf],
                          capture_output=True, text=True)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")
              and "No such file" not in line and "stat of" not in line]
    assert errors == [], proc.stderr
    assert 'swiftrotate upload' in open(conf).read()


def test_example_swiftrotate_conf_parses():
    settings = Settings(os.path.join(EXAMPLES, "swiftrotate.conf"), environ={})
    assert settings.get("dest") == "swift://logs/prod"
    assert settings.get("olddir", "/var/log/myapp/*.log") == "archive"
    assert settings.get("olddir", "/var/log/other.log") is None
