"""Command handlers: parse nothing, decide nothing about licensing rules; they load,
call the core with `now`, and return a Result for the renderer."""
