"""Tests of the test servers and the fault proxy themselves."""
