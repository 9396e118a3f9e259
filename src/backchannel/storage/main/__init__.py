"""The main DB's tables: organisations, workspaces, credentials, the topology, edges, webhooks
and invitations.
"""
