"""The `backchannel` command: serve, db and admin. See docs/cli.md."""
