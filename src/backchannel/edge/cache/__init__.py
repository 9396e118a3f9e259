"""The edge's cache of each workspace's directory: users, bots, channels, memberships, team
(docs/edge-cache.md, Slack's Flannel), one module a job:

- rows.py: one workspace's rows, filled from a snapshot, and read for one viewer;
- events.py: bringing the rows up to each event of the log, before any socket gets it;
- named.py: the users, bots and channels an event names (the objects sent just in time);
- sorted_index.py: the sorted lists the rows are searched and paged by;
- workspaces.py: every workspace's cache on this edge: filled on first use, evicted least
  recently used first, its stale channels read again.
"""
