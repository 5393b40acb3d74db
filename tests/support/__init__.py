"""What the tests run on, no tests here: the real servers (servers.py, saio_launch.py,
keystone_server.py), the fault and TLS proxies, the logrotate and soak labs, the
stores and their invariant, the CLI runner, the store fixtures. Plain Python; only
fixtures.py knows pytest. Imported as tests.support.<module>; inside the package,
relative imports. saio_launch.py, keystone_server.py and soak_lab.py are also run as
scripts, so the parts of them that run that way import nothing from here."""
