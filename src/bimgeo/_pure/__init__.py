"""Pure-Python twins of the compiled decoders in ``bimgeo._core``: slow and
obvious, the reference the compiled code is tested against."""
