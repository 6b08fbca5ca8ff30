"""The session layer: opens the lab, settles it, runs a command and commits; the clock's
catch-up and the node↔SSM exchanges."""
