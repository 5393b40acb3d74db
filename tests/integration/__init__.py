"""Commands end to end on the real servers: fetch, gate, lifecycle, rename, logrotate,
TLS, Keystone, S3 expiry, and the shipped examples."""
