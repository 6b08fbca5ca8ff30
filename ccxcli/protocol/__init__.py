"""What node and SSM exchange: the codes (SPEC §5), the HTTPS transport and its TLS rules."""
