"""One core per command: plain arguments in, a result object (or a callback
per item) out. No click, no printing, no sys.exit: cli/ renders what these
return and maps their typed errors to exit codes."""
