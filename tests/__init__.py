"""swiftrotate's test suite. A package (as is each folder in it) so that pytest puts the
repo root on sys.path and the helpers import as tests.support.*; see conftest.py."""
