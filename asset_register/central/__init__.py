"""Central register clients (HTTP API, SQL table) behind one interface."""
