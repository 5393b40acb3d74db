"""swiftrotate: archive logrotate's rotated logs to Swift, S3 or a folder, verified."""

__version__ = "0.1.0"
