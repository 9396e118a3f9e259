"""People and bots: accounts, profiles, photos, presence, and looking them up."""
