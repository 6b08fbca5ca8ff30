"""ccxcli: an emulator of the Smart Licensing side of a Cisco UCCX node and of the SSM."""

__version__ = "0.1.0"
