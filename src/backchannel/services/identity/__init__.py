"""Who is calling: sign-in, tokens and their revocation."""
