"""The built-in after-training measurements, a package each (``bench.plugins``): found by
the registry on its first look, never imported by the core."""
