"""The instance's shell: user data and the Connect terminal, interpreted and never executed.

Nothing reaches the host: there is no subprocess, no host path and no Python eval. Hostile input is
bounded (`limits`), and anything unknown is skipped with an `lblab:` note.

  syntax         the syntax tree the parser builds and the interpreter walks
  tokens         tokens, operators, name patterns, parse errors
  lexer          words, quoting, here-documents            (Lexer)
  substitutions  the `$` forms and backticks               (Substitutions(Lexer))
  parser         the grammar, one complete command at a time (Parser(Substitutions))
  process        what the interpreter's parts expect of one another (ShellProcess)
  interpreter    control flow, pipelines, subshells          (Interp, from the mixins below)
  expansion · arithmetic · redirection · lookup · builtins · launchers   the mixins
  errors         exit/return, break/continue, expansion and arithmetic errors
  numbers        numbers as bash reads them (64-bit, wrapping)
  quoting        values quoted back as bash prints them
  streams        stdin and the output sinks;   limits   the run's budget
  session        the Connect terminal (Shell)
"""
