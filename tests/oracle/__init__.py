"""Independent implementations our decoders are checked against (see spandsp.py)."""
