"""pbc: practice based commissioning."""
