"""Run the real `swiftrotate` command in a subprocess, as logrotate would."""
import os
import subprocess
import sys
import time


def run_cli(*args, env=None, timeout=120, cwd=None):
    """Return CompletedProcess with .stdout/.stderr text and .seconds."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("SWIFTROTATE_", "ST_", "OS_", "AWS_"))}
    full_env.update(env or {})
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "swiftrotate", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL)
    proc.seconds = time.monotonic() - start
    return proc


def write_config(path, sections):
    """sections: {"swiftrotate": {...}, "swift": {...}} -> INI file, mode 0600."""
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {v}" for k, v in values.items())
        lines.append("")
    path.write_text("\n".join(lines))
    os.chmod(path, 0o600)
    return str(path)


def rotated(folder, name, data, age=3600):
    """Create a rotated file with an mtime `age` seconds in the past."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    past = time.time() - age
    os.utime(path, (past, past))
    return path


class Syslog:
    """A datagram socket standing in for /dev/log: point syslog_socket at
    `path`, run the command, then drain() the lines it received."""

    def __init__(self, path):
        import socket

        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.5)

    def drain(self):
        import socket

        lines = []
        try:
            while True:
                lines.append(self.sock.recv(65536).decode())
        except socket.timeout:
            pass
        self.sock.close()
        return lines
