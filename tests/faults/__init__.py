"""The fault matrix: every injected fault, bad input and secret-leak path, end to end."""
