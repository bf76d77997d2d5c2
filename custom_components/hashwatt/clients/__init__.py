"""Protocol clients: Whatsminer miners, mining pools, the Bitcoin network (no HA imports)."""
