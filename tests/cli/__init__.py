"""The command as operators run it (once tests/test_cli.py), one file a topic."""
