"""The SSM's core: its database, tokens and instances, reservations, On-Prem synchronization, rules."""
