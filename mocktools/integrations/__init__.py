"""Integrations: the ways a test run gets checked, shared by every guard.

* :mod:`~mocktools.integrations.leak_fixture` -- the ``LeakCheck`` fixture;
* :mod:`~mocktools.integrations.run` -- ``python -m mocktools.run``;
* :mod:`~mocktools.integrations.autocheck` -- ``MOCKTOOLS_CHECK=1``, no
  code edited;
* :mod:`~mocktools.integrations.pytest_plugin` -- the pytest plugin;
* :mod:`~mocktools.integrations.cli` -- ``mocktools leaks``.

(:class:`mocktools.TestCase` checks itself.)  Each one only begins and
ends scopes on the detector and hands its report to
:func:`mocktools.testcase.handle_report`.  The old paths
(``mocktools.run``, ``mocktools.pytest_plugin``...) still work.
"""
