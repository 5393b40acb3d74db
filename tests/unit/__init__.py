"""Pure tests: no server, no subprocess, only swiftrotate's own rules."""
