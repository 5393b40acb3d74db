"""One backend contract, run on every store the suite starts."""
