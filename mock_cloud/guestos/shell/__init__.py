"""The instance's shell: user data and the Connect terminal, interpreted and never executed.

A hand-written lexer (`tokens`, `lexer`, `substitutions`) and parser (`parser`) turn the sh/bash
subset that labs use into a small syntax tree (`syntax`); the interpreter (`interpreter`, with its
mixins `expansion`, `arithmetic`, `redirection`, `lookup`, `builtins`, `launchers`) walks it
against the instance's VirtualFS and InstanceOS. Hostile input is bounded (`limits`), and anything
unknown is skipped with an `lblab:` note. `session.Shell` is the Connect terminal.
"""
