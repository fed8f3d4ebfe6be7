"""The engine: scopes, settings, and the machinery of the mock check.

* :mod:`~mocktools.engine.detector` -- drives every guard
  (:mod:`mocktools.guards`) through each test, class, module and fixture,
  and builds the report;
* :mod:`~mocktools.engine.settings` -- the knobs (class attributes,
  ``MOCKTOOLS_*`` variables);
* :mod:`~mocktools.engine.instrumentation` -- hooks in the mock library:
  which patchers are active, where each mock was made;
* :mod:`~mocktools.engine.sweep`, :mod:`~mocktools.engine.escape`,
  :mod:`~mocktools.engine.dict_changes` -- finding mocks stored in global
  state, deciding when to look, and seeing which dicts changed.

The old paths (``mocktools.detector``, ``mocktools.sweep``...) still work.
"""
