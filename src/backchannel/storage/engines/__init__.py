"""Database engines and what runs on them: URLs and engines, connections, SQLite's writer and
group commit, row limits, statistics, replication, a shard's size.
"""
