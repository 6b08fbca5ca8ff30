"""`ccx serve`: every node of a lab over SSH. `server` listens (one process or workers), `lab`
is what it knows of the lab it serves and its settings, `sessions` runs each session (exec,
a terminal in the server (`inline`) or in a child process), `sftpd` the upload folder."""
