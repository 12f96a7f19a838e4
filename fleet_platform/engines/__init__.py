"""Engine-specific pieces: the few rules the shared narwhals layer can't express."""
