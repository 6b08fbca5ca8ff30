"""The pure core: no I/O, no clock reads, no printing. Every function takes `now`."""
