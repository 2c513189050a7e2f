"""Compiled (Cython) decoders. Each module here has a pure-Python twin of the
same name in ``bimgeo._pure`` with identical functions and output."""
