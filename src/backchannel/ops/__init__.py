"""Operator actions, used only by the CLI and the composition root: opening a deployment,
moves, failover, shards, the demo.
"""
