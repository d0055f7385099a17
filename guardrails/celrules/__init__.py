"""CEL (Common Expression Language) in rule files: parse, check, compile, evaluate.

:mod:`.parse` and :mod:`.check` find a rule's problems at load, with the
character they are at; :mod:`.runtime` compiles and runs expressions on the
Rust ``common-expression-language``; :mod:`.rules` wires them into the
generic checks. docs/rules.md ("CEL expressions") is the user's page.
"""
