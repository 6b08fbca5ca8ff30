"""The node's `admin:` CLI: grammar, command table, handlers, rendering, shell, script mode, `ccx serve`."""
