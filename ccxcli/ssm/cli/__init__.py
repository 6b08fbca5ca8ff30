"""`ccx-ssm`: its command declarations and commands."""
