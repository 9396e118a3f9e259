"""A shard's tables: the users, channels and messages of the workspaces on it, and what hangs
off them.
"""
