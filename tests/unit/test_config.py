"""Settings and check_settings on their own: a typo fails before anything runs."""
import pytest

from swiftrotate.config import Settings, check_settings
from swiftrotate.errors import ConfigError


def _settings(tmp_path, text, **environ):
    path = tmp_path / "swiftrotate.conf"
    path.write_text(text)
    return Settings(str(path), environ=environ)


def test_flags_beat_environment_beat_file(tmp_path):
    settings = _settings(tmp_path, "[swiftrotate]\nhost = from-file\ndeadline = 5\n",
                         SWIFTROTATE_HOST="from-env")
    assert settings.get("host") == "from-env"
    assert settings.get_int("deadline") == 5
    settings.set_flags(host="from-flag", deadline=None)
    assert settings.get("host") == "from-flag"
    assert settings.get_int("deadline") == 5  # a flag not given does not hide the file's value


def test_a_log_section_applies_to_its_logs_only(tmp_path):
    settings = _settings(tmp_path, "[log /var/log/app*.log]\ndateformat = -%Y-%m-%d\n")
    assert settings.dateformat("/var/log/app1.log") == "-%Y-%m-%d"
    assert settings.dateformat("/var/log/other.log") == "-%Y%m%d"


@pytest.mark.parametrize("text, named", [
    ("[swiftrotate]\ndest = sfit://c\n", "sfit"),
    ("[swiftrotate]\ndateformat = -%Q\n", "%Q"),
    ("[swiftrotate]\nkey_template = {host}/{path}\n", "key_template"),
    ("[swiftrotate]\nsettle_seconds = -1\n", "settle_seconds"),
    ("[swiftrotate]\ncompress = lzip\n", "compress"),
    ("[swiftrotate]\nspool_cap = lots\n", "spool_cap"),
    ("[swiftrotate]\ngate_mode = maybe\n", "gate_mode"),
    ("[log /var/log/a.log]\nexpire_after = soon\n", "expire_after"),
    ("[log /var/log/a.log]\nextension = .log/x\n", "extension"),
])
def test_check_settings_names_the_bad_setting(tmp_path, text, named):
    settings = _settings(tmp_path, text)
    with pytest.raises(ConfigError, match=named):
        check_settings(settings)


def test_check_settings_passes_the_defaults(tmp_path):
    check_settings(_settings(tmp_path, ""))


def test_unknown_settings_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="unknown setting"):
        _settings(tmp_path, "[swiftrotate]\nhots = web01\n")
    with pytest.raises(ConfigError, match="cannot be set per log"):
        _settings(tmp_path, "[log /var/log/a.log]\nspool_cap = 1G\n")
