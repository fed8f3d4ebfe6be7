"""flake8 plugin: leak-prone mock usage, found before the tests run.

Registered as the ``MTL`` extension (``flake8.extension`` entry point), so it
runs in any ``flake8`` -- hacking included -- once mocktools is installed:

======  ================================================================
code    finding
======  ================================================================
MTL001  a patcher is started but never stopped in its scope (no
        ``p.stop()``, ``addCleanup(p.stop)`` or ``addClassCleanup``)
MTL002  a mock is assigned to an attribute of an imported module or class
        in test code (``utils.execute = mock.Mock()``)
MTL003  a mock is put in ``sys.modules`` and never removed
MTL004  ``mock.patch.stopall`` is the only thing that stops started
        patchers (it hides the leak from the detector and stops
        everyone's patchers, class-level ones included)
======  ================================================================

The checks prefer silence to guessing: a patcher variable that is passed
anywhere, returned or stored elsewhere is assumed to be stopped by whoever
got it; an attribute assignment that the same function undoes (assigns
again, ``setattr`` or ``addCleanup(setattr, ...)``) is not reported.
"""

import ast

__all__ = ['MockLeakChecker']

_PATCH_ROOTS = ('patch', 'mock.patch', 'unittest.mock.patch')
_PATCH_FUNCS = tuple(
    root + suffix for root in _PATCH_ROOTS
    for suffix in ('', '.object', '.multiple', '.dict'))
_MOCK_FACTORIES = ('Mock', 'MagicMock', 'NonCallableMock',
                   'NonCallableMagicMock', 'AsyncMock', 'PropertyMock',
                   'create_autospec', 'mock_open')
_MOCK_CALLS = tuple(prefix + name for prefix in ('', 'mock.', 'unittest.mock.')
                    for name in _MOCK_FACTORIES)
_STOPALL = tuple(root + '.stopall' for root in _PATCH_ROOTS)
_CLEANUPS = ('addCleanup', 'addClassCleanup', 'enterContext')

MESSAGES = {
    'MTL001': 'MTL001 patcher %s is started but never stopped here; add '
              'self.addCleanup(%s.stop) (or use a mocktools helper)',
    'MTL002': 'MTL002 mock assigned to %s, an attribute of an imported '
              'module or class; patch it instead so it is restored',
    'MTL003': 'MTL003 mock put in sys.modules[%s] and never removed; use '
              'mock.patch.dict(sys.modules, {...})',
    'MTL004': 'MTL004 mock.patch.stopall is the only cleanup of patcher %s; '
              'stop it itself (stopall hides leaks and stops others\' '
              'patchers)',
}


def dotted(node):
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return '.'.join(reversed(parts))
    return None


def _call_name(node):
    return dotted(node.func) if isinstance(node, ast.Call) else None


def _is_patch_call(node):
    return _call_name(node) in _PATCH_FUNCS


def _is_mock_call(node):
    return _call_name(node) in _MOCK_CALLS


def _is_test_file(filename):
    parts = filename.replace('\\', '/').split('/')
    return any(part in ('tests', 'test') or part.startswith('test_')
               for part in parts)


# Methods whose stopall (called, or registered as a cleanup) runs for every
# test of the class.
_CLASS_WIDE = frozenset((
    '__init__', 'setUp', 'tearDown', 'setUpClass', 'tearDownClass',
    'asyncSetUp', 'asyncTearDown', 'setup_method', 'teardown_method',
    'setup_class', 'teardown_class', 'addCleanup', 'run'))


class _Scope:
    """What one function (or one class, for ``self.x`` patchers) does."""

    def __init__(self):
        self.patchers = {}      # name -> assignment node
        self.started = {}       # name -> first .start() call node
        self.stopped = set()    # names with .stop referenced
        self.escaped = set()    # names used in any other way
        self.anonymous = []     # patch(...).start() with no name
        self.stopall = False
        self.consumed = set()   # ids of nodes seen as p in p.start/p.stop


class MockLeakChecker:
    """The flake8 checker (``tree`` plugin)."""

    name = 'mocktools'
    version = '1.0'

    def __init__(self, tree, filename='stdin'):
        self.tree = tree
        self.filename = filename

    def run(self):
        """Yield ``(line, column, message, type)`` for every finding."""
        imported = self._imported_names()
        test_file = _is_test_file(self.filename)
        # a stopall in a set-up or tear-down method covers every method of
        # the class (one in a test method covers only that method), and
        # tearDown/tearDownClass may undo what setUp/setUpClass assigned
        class_stopall, class_undone = {}, {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ClassDef):
                scope = _Scope()
                for method in node.body:
                    if getattr(method, 'name', None) in _CLASS_WIDE:
                        for child in ast.walk(method):
                            self._observe(child, scope, True)
                undone = self._undone_targets(node, whole_class=True)
                class_stopall[id(node)] = scope.stopall
                for item in node.body:
                    class_stopall[id(item)] = scope.stopall
                    class_undone[id(item)] = undone
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ClassDef):
                yield from self._check_scope(
                    node, attribute_patchers=True,
                    stopall=class_stopall[id(node)])
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from self._check_scope(
                    node, attribute_patchers=False,
                    stopall=class_stopall.get(id(node), False))
                if test_file:
                    yield from self._check_assignments(
                        node, imported, class_undone.get(id(node), set()))

    # -- MTL001 / MTL004 -----------------------------------------------------

    def _check_scope(self, owner, attribute_patchers, stopall=False):
        """MTL001/MTL004 for one function, or a class's ``self.x`` patchers.

        ``stopall``: a set-up or tear-down method of the class stops all.
        A function's own stopall covers only itself; for a class's
        attribute patchers only the class-wide one counts.
        """
        scope = _Scope()
        for node in self._walk_own(owner, attribute_patchers):
            self._observe(node, scope, attribute_patchers)
        scope.stopall = stopall or (scope.stopall and not attribute_patchers)
        for name, call in scope.started.items():
            if name not in scope.patchers or name in scope.stopped \
                    or name in scope.escaped:
                continue
            yield self._unstopped(call, name, scope.stopall)
        if not attribute_patchers:
            for call in scope.anonymous:
                yield self._unstopped(call, '(unnamed)', scope.stopall)

    def _unstopped(self, call, name, stopall):
        if stopall:
            return self._finding(call, 'MTL004', name)
        return self._finding(call, 'MTL001', name,
                             name if name != '(unnamed)' else '<patcher>')

    def _walk_own(self, owner, whole_class):
        """Nodes of ``owner`` (a class: all its methods; a function: itself).

        Nested classes, and for a function nested functions, are skipped.
        """
        stack = list(owner.body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.ClassDef):
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.Lambda)) and not whole_class:
                continue
            yield node
            stack.extend(ast.iter_child_nodes(node))

    def _observe(self, node, scope, attribute_patchers):
        def key(target):
            name = dotted(target)
            if name is None:
                return None
            is_attribute = name.startswith('self.') or name.startswith(
                'cls.')
            return name if is_attribute == attribute_patchers else None

        if isinstance(node, ast.Assign) and _is_patch_call(node.value):
            for target in node.targets:
                name = key(target)
                if name:
                    scope.patchers[name] = node
            return
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in _STOPALL:
                scope.stopall = True
            if name and name.split('.')[-1] in _CLEANUPS:
                for arg in node.args:
                    if dotted(arg) in _STOPALL:
                        scope.stopall = True
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == 'start':
                if _is_patch_call(func.value):
                    scope.anonymous.append(node)
                else:
                    name = key(func.value)
                    if name:
                        scope.started.setdefault(name, node)
            return
        if isinstance(node, ast.Attribute) and node.attr in (
                'start', 'stop', '__exit__'):
            scope.consumed.add(id(node.value))
            name = key(node.value)
            if name and node.attr != 'start':
                scope.stopped.add(name)
            return
        if id(node) in scope.consumed:
            return
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(
                getattr(node, 'ctx', None), ast.Load):
            name = key(node)
            if name:
                scope.escaped.add(name)

    # -- MTL002 / MTL003 -----------------------------------------------------

    def _imported_names(self):
        names = set()
        for node in self.tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    names.add((alias.asname or alias.name).split('.')[0])
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    names.add(alias.asname or alias.name)
        return names

    def _check_assignments(self, function, imported, undone_in_class):
        undone = self._undone_targets(function) | undone_in_class
        assignments = [node for node in self._walk_own(function, False)
                       if isinstance(node, ast.Assign)]
        # local names bound to a new mock anywhere in the function
        mock_names = {target.id for node in assignments
                      if _is_mock_call(node.value)
                      for target in node.targets
                      if isinstance(target, ast.Name)}
        for node in assignments:
            value_is_mock = _is_mock_call(node.value) or (
                isinstance(node.value, ast.Name)
                and node.value.id in mock_names)
            for target in node.targets:
                if not value_is_mock:
                    continue
                if isinstance(target, ast.Attribute):
                    path = dotted(target)
                    root = path.split('.')[0] if path else None
                    if root in imported and path not in undone:
                        yield self._finding(node, 'MTL002', path)
                elif isinstance(target, ast.Subscript) and dotted(
                        target.value) == 'sys.modules':
                    if not undone & {'sys.modules'}:
                        key = ast.unparse(target.slice) if hasattr(
                            ast, 'unparse') else '...'
                        yield self._finding(node, 'MTL003', key)

    def _undone_targets(self, owner, whole_class=False):
        """Dotted targets ``owner`` restores ('sys.modules': it removes).

        ``owner`` is a function, or a whole class with ``whole_class``.
        """
        undone = set()
        assigned = {}
        for node in self._walk_own(owner, whole_class):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    path = dotted(target)
                    if path:
                        assigned[path] = assigned.get(path, 0) + 1
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    if isinstance(target, ast.Subscript) and dotted(
                            target.value) == 'sys.modules':
                        undone.add('sys.modules')
                    elif dotted(target):
                        undone.add(dotted(target))
            elif isinstance(node, ast.Call):
                name = _call_name(node) or ''
                args = list(node.args)
                if name.split('.')[-1] in _CLEANUPS and args:
                    name, args = dotted(args[0]) or '', args[1:]
                if name in ('setattr', 'delattr') and len(args) >= 2 and \
                        isinstance(args[1], ast.Constant):
                    undone.add('%s.%s' % (dotted(args[0]), args[1].value))
                if name in ('sys.modules.pop', 'sys.modules.__delitem__'):
                    undone.add('sys.modules')
                if name in _PATCH_FUNCS and args and dotted(
                        args[0]) == 'sys.modules':
                    undone.add('sys.modules')
        undone.update(path for path, count in assigned.items() if count > 1)
        return undone

    def _finding(self, node, code, *args):
        return (node.lineno, node.col_offset, MESSAGES[code] % args,
                type(self))
