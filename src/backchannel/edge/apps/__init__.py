"""Socket Mode on the edge (docs/apps.md): apps' connections, and the delivery to them of
their workspace's events, from each app's durable position in the log."""
