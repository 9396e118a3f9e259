"""Files: uploads (uploads.py), who sees them (reading.py), their types (sniffing.py) and
Slack's file object (objects.py). docs/files.md"""
