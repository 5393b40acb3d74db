"""Start one Swift server (or run one daemon pass) with swift.conf taken from
the directory of CONF instead of the hard-coded /etc/swift/swift.conf.

Why: Swift's WSGI servers honour `swift_dir` only for the hash-path
prefix/suffix; [swift-constraints] (max_file_size, ...) and the storage
policies are parsed from /etc/swift/swift.conf at import time, and the daemons
(expirer, updater) read everything from it. We point
swift.common.utils.SWIFT_CONF_FILE at <dir of CONF>/swift.conf and reload both
before the server module is imported, so the test config always wins.

usage: python saio_launch.py account|container|object|proxy CONF [-v]
       python saio_launch.py expirer|container-updater CONF   (one pass, exit)
       python saio_launch.py rings ETC_DIR IP ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT

Adapted from the swiftrotate lab (swift >= 2.33 only: uses the modules' main()).
"""
import importlib
import os
import sys

kind = sys.argv[1]

if kind == "rings":
    # 1-replica rings, part power 8, one device "sdb1" per server.
    from swift.common.ring import RingBuilder

    etc, ip = sys.argv[2], sys.argv[3]
    ports = dict(zip(("account", "container", "object"), map(int, sys.argv[4:7])))
    for name, port in ports.items():
        b = RingBuilder(8, 1, 1)  # part_power, replicas, min_part_hours
        b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": ip, "port": port,
                   "device": "sdb1", "weight": 100.0, "meta": ""})
        b.rebalance()
        b.save(os.path.join(etc, name + ".builder"))
        b.get_ring().save(os.path.join(etc, name + ".ring.gz"))
    sys.exit(0)

conf = os.path.abspath(sys.argv[2])

from swift.common import utils  # noqa: E402

utils.SWIFT_CONF_FILE = os.path.join(os.path.dirname(conf), "swift.conf")
from swift.common import constraints, storage_policy  # noqa: E402

constraints.reload_constraints()
storage_policy.reload_storage_policies()

if kind in ("expirer", "container-updater"):
    from swift.common.daemon import run_daemon

    if kind == "expirer":
        from swift.obj.expirer import ObjectExpirer as daemon
    else:
        from swift.container.updater import ContainerUpdater as daemon
    run_daemon(daemon, conf, once=True, verbose=True)
    sys.exit(0)

module = {
    "proxy": "swift.proxy.server",
    "object": "swift.obj.server",
    "container": "swift.container.server",
    "account": "swift.account.server",
}[kind]
mod = importlib.import_module(module)
sys.argv = ["swift-%s-server" % kind] + sys.argv[2:]
sys.exit(mod.main())
