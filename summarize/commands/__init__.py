"""The `summarize` commands, a module each; `summarize.cli` registers them on one app.

`base` holds what they share (consoles, exit codes, one-line errors, option types).
Each command parses its flags, calls the library, renders, and maps errors to exit codes.
"""
