"""Simulated Whatsminer miners and mock mining-pool servers, for tests and the demo.

Not shipped to users: nothing in custom_components imports it.
"""
