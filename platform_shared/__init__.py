"""What both code locations need, written once: deployment switch, storage URLs, data directory."""
