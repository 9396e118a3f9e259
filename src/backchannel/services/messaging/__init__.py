"""Messages and what hangs off them: posting, history, threads, reactions, pins, search, rich
content.
"""
