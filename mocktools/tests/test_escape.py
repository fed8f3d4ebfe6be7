"""escape.unaccounted: references a test's own objects do not explain."""

import gc
import sys
import types
from unittest import mock
import weakref

import fixtures
import testtools

from mocktools.engine import escape
from mocktools.engine import sweep
from mocktools.tests import support


class Holder:
    """Stands for a test instance."""

    class Nested:
        """A class its module reaches through another."""


def _exercise(m):
    if not getattr(m, '_spec_class', None):
        m.child.grandchild(1)
    if callable(m):
        m()
        m.return_value.attribute  # noqa: B018


FACTORIES = {
    'Mock': mock.Mock,
    'MagicMock': mock.MagicMock,
    'NonCallableMagicMock': mock.NonCallableMagicMock,
    'PropertyMock': mock.PropertyMock,
    'spec': lambda: mock.Mock(spec=Holder),
    'spec_set MagicMock': lambda: mock.MagicMock(spec_set=Holder),
}


class TestUnaccounted(testtools.TestCase):

    def check(self, make, expose):
        holder = Holder()
        made = make()
        born = [weakref.ref(made)]
        holder.kept = made
        _exercise(made)
        if expose:
            module = types.ModuleType('mocktools_escape_probe')
            self.addCleanup(sys.modules.pop, module.__name__, None)
            sys.modules[module.__name__] = module
            module.leaked = made
        del made
        return escape.unaccounted(born, (holder, Holder))

    def assert_own_until_kept_elsewhere(self, born, holders, message=None):
        """born[0] is explained by the holders until a list keeps it."""
        self.assertFalse(escape.unaccounted(born, holders), message)
        elsewhere = [born[0]()]
        self.assertTrue(escape.unaccounted(born, holders), message)
        del elsewhere

    def test_the_count_leaves_no_garbage_cycle(self):
        # a cycle of the walk's own, left to the collector, would keep the
        # mocks' namespaces alive past the check (in an old generation,
        # if a collection ran meanwhile)
        holder = Holder()
        holder.kept = mock.MagicMock()
        holder.kept.child(1, items=[holder.kept.other])
        born = [weakref.ref(holder.kept)]
        elsewhere = [holder.kept]   # unexplained: the full walk runs
        self.addCleanup(gc.enable if gc.isenabled() else gc.disable)
        gc.collect()
        gc.disable()
        self.assertTrue(escape.unaccounted(born, (holder, Holder)))
        # what the collector finds now, but only the check's own functions:
        # other tests' garbage (a class a cache let go) may be there too
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
        finally:
            gc.set_debug(0)
        left = [obj.__qualname__ for obj in gc.garbage
                if type(obj) is types.FunctionType
                and obj.__code__.co_filename == escape.__file__]
        gc.garbage.clear()
        self.assertEqual([], left)
        del elsewhere

    def test_mocks_held_by_the_test_are_accounted_for(self):
        for name, make in FACTORIES.items():
            self.assertFalse(self.check(make, expose=False), name)

    def test_mocks_stored_elsewhere_are_not(self):
        for name, make in FACTORIES.items():
            self.assertTrue(self.check(make, expose=True), name)

    def test_async_mock_and_its_code_mock(self):
        holder = Holder()
        made = mock.AsyncMock()
        born = [weakref.ref(made), weakref.ref(made.__dict__['__code__'])]
        holder.kept = made
        del made
        self.assertFalse(escape.unaccounted(born, (holder,)))

    def test_mock_referenced_by_a_local_list_is_not(self):
        made = mock.Mock()
        elsewhere = [made]
        born = [weakref.ref(made)]
        del made
        self.assertTrue(escape.unaccounted(born, ()))
        del elsewhere

    def patchable(self, **attributes):
        """A module whose function ``lookup`` has ``attributes``.

        The collector is off for the rest of the test: the autospec tests
        count what a collection would otherwise free.
        """
        module = types.ModuleType('mocktools_autospec_probe')
        exec('def lookup(name):\n    return name\n', vars(module))
        vars(module.lookup).update(attributes)
        if gc.isenabled():
            gc.disable()
            self.addCleanup(gc.enable)
        return module

    def test_the_function_autospec_made_once_its_patcher_stopped(self):
        # patch(..., autospec=True) of a function: the function the library
        # made and the mock refer to one another until a collection frees
        # them (made in setUp, they have often left the youngest
        # generation by the check; the collector is off here instead)
        module = self.patchable()
        for keep in (None, 'function', 'patched'):
            patcher = mock.patch.object(module, 'lookup', autospec=True)
            function = patcher.start()
            module.lookup('volume').upper()
            born = [weakref.ref(function.mock)]
            if keep != 'patched':
                patcher.stop()
            kept = [function] if keep == 'function' else []
            del function
            self.assertIs(keep is not None,
                          escape.unaccounted(born, (Holder(),)), keep)
            if keep == 'patched':
                patcher.stop()
            del kept

    def test_the_function_autospec_made_for_a_function_with_attributes(self):
        # each attribute that is not a function gets a lazy spec in the
        # children dict the mock and the function share, naming the
        # function as its parent (nova's remotable methods: 20 of 135
        # 'may have escaped' verdicts in 511 checks of its compute tests)
        module = self.patchable(remotable=True, version='1.0')
        for keep in (None, 'function', 'spec'):
            patcher = mock.patch.object(module, 'lookup', autospec=True)
            function = patcher.start()
            module.lookup('volume')
            born = [weakref.ref(function.mock)]
            patcher.stop()
            kept = {'function': [function],
                    'spec': [function._mock_children['remotable']]}.get(
                        keep, [])
            del function
            self.assertIs(keep is not None,
                          escape.unaccounted(born, (Holder(),)), keep)
            del kept

    def test_the_function_autospec_made_in_the_full_walk(self):
        # a mock passed to the autospec'd function is referenced from the
        # recorded call, which only the full walk counts: the function's
        # references must be counted there too (the function oslotest's
        # patch makes: 124 of 162 'may have escaped' verdicts in 511
        # checks of nova's compute tests)
        module = self.patchable()
        for keep in (None, 'function'):
            patcher = mock.patch.object(module, 'lookup', autospec=True)
            function = patcher.start()
            argument = mock.Mock()
            module.lookup(argument)
            born = [weakref.ref(function.mock), weakref.ref(argument)]
            patcher.stop()
            kept = [function] if keep == 'function' else []
            del function, argument
            self.assertIs(keep is not None,
                          escape.unaccounted(born, (Holder(),)), keep)
            del kept

    def test_the_signature_checkers_of_oslotests_lazy_autospec(self):
        # oslotest's mock_fixture (nova's tests): a mock with an autospec
        # gets, for each method used, a checker closing over the function
        # create_autospec made for it (or a partial of it); with the
        # collector on, nova's compute checks swept 303 times in 511 tests
        from oslotest import mock_fixture
        self.useFixture(mock_fixture.MockAutospecFixture())
        if gc.isenabled():
            gc.disable()
            self.addCleanup(gc.enable)

        class Service:
            def start(self, host):
                return host

            @staticmethod
            def version():
                return 1

        for name, args in (('start', ('host',)), ('version', ())):
            for elsewhere in (False, True):
                holder = Holder()
                holder.kept = mock.MagicMock(autospec=Service)
                getattr(holder.kept, name)(*args)
                checker = getattr(holder.kept, name)._mock_check_sig
                made = checker.__closure__[0].cell_contents
                function = getattr(made, 'func', made)
                born = [weakref.ref(holder.kept),
                        weakref.ref(function.mock)]
                kept = [function] if elsewhere else []
                del checker, made, function
                self.assertIs(elsewhere,
                              escape.unaccounted(born, (holder,)),
                              (name, elsewhere))
                del kept

    def test_dead_mocks_need_nothing(self):
        born = [weakref.ref(mock.Mock())]
        self.assertFalse(escape.unaccounted(born, ()))

    def test_mock_on_a_holder_class(self):
        made = mock.MagicMock()
        holder_class = type('HolderClass', (), {'shared': made})
        born = [weakref.ref(made)]
        del made
        self.assertFalse(escape.unaccounted(born, (holder_class,)))

    def test_magic_methods_used_and_configured(self):
        # a used or configured magic method replaces its proxy on the
        # mock's class with a child mock
        holder = Holder()
        made = mock.MagicMock()
        len(made)
        made.__bool__.return_value = False
        holder.kept = made
        born = [weakref.ref(made)]
        del made
        self.assert_own_until_kept_elsewhere(born, (holder,))

    def test_compared_and_iterated_mocks_need_no_collection(self):
        # ``m == x``, ``m != x`` and ``iter(m)`` give a MagicMock a child
        # mock whose side effect the library made as a closure over the
        # mock: a reference of the mock's own, found without the garbage
        # collector (assert_called_with compares a call's mocks this way)
        for use in ((lambda m: m == 1), (lambda m: m != 1), list,
                    (lambda m: m.__aiter__())):
            holder = Holder()
            made = mock.MagicMock()
            use(made)
            holder.kept = made
            born = [weakref.ref(made)]
            del made
            self.assert_own_until_kept_elsewhere(born, (holder,), use)

    def test_compared_mock_passed_to_another_mock(self):
        # the full walk (recorded calls) counts the closure too
        holder = Holder()
        holder.api = mock.MagicMock()
        made = mock.MagicMock()
        made == 1   # noqa: B015
        holder.api.create(made)
        born = [weakref.ref(made), weakref.ref(holder.api)]
        del made
        self.assert_own_until_kept_elsewhere(born, (holder,))

    def test_a_closure_of_another_mock_is_not_counted(self):
        # the side effect of ``other == x`` closes over ``other``; put on
        # ``made``'s ``__eq__``, it is no reference of ``made``'s own
        holder = Holder()
        made, other = mock.MagicMock(), mock.MagicMock()
        made.__eq__.side_effect = other.__eq__.side_effect
        holder.kept, holder.other = made, other
        born = [weakref.ref(made)]
        del made, other
        self.assert_own_until_kept_elsewhere(born, (holder,))

    def test_a_proxy_of_another_mock_is_not_counted(self):
        # only proxies whose parent is the mock account for its references:
        # counting every proxy on its class would hide the list's reference
        holder = Holder()
        made, other = mock.MagicMock(), mock.MagicMock()
        type(made).__len__ = vars(type(other))['__len__']
        holder.kept = made
        elsewhere = [made]
        born = [weakref.ref(made)]
        del made
        self.assertTrue(escape.unaccounted(born, (holder,)))
        del elsewhere
        self.assertFalse(escape.unaccounted(born, (holder,)))

    def test_the_older_generations_are_collected_only_when_needed(self):
        # kept by an object of the test (only the walk explains that) and,
        # the second time, by a reference cycle (only the collector frees
        # that): a collection of the next generation only then
        holder = Holder()
        holder.client = Holder.Nested()
        holder.client.api = mock.Mock()
        born = [weakref.ref(holder.client.api)]
        collected = []

        def noted(phase, info):
            if phase == 'start':
                collected.append(info['generation'])
        self.addCleanup(gc.callbacks.remove, noted)
        gc.callbacks.append(noted)
        self.addCleanup(gc.set_threshold, *gc.get_threshold())
        gc.set_threshold(10 ** 9)   # no collection but the check's
        self.assertFalse(escape.unaccounted(born, (holder, Holder),
                                            owner=holder, collect=True))
        self.assertEqual([], collected)
        cycle = [holder.client.api]
        cycle.append(cycle)
        del cycle
        self.assertFalse(escape.unaccounted(born, (holder, Holder),
                                            owner=holder, collect=True))
        self.assertEqual([1], collected)
        # held from outside, with no garbage to free: the collection finds
        # nothing, and the test's objects are not walked again
        walks = support.calls_to(self, escape, '_known_references')
        elsewhere = [holder.client.api]
        gc.collect()
        self.assertTrue(escape.unaccounted(born, (holder, Holder),
                                           owner=holder, collect=True))
        self.assertEqual(1, len(walks))
        del elsewhere
        # the collector off, nothing is collected: the cycle's reference
        # stays unexplained
        del collected[:]
        cycle = [holder.client.api]
        cycle.append(cycle)
        del cycle
        self.addCleanup(gc.enable)
        gc.disable()
        self.assertTrue(escape.unaccounted(born, (holder, Holder),
                                           owner=holder, collect=True))
        self.assertEqual([], collected)
        gc.enable()
        gc.collect()

    def test_mocks_set_on_one_another_need_no_walk(self):
        # client.servers = servers keeps servers twice (the children dict
        # and the __dict__), client.get.side_effect = other once: the
        # quick count explains them, without the walk of the test's objects
        walks = support.calls_to(self, escape, '_known_references')
        holder = Holder()
        holder.client = mock.Mock()
        holder.client.servers = mock.Mock()
        holder.client.get.side_effect = holder.client.servers
        holder.client.wrapped = mock.Mock(wraps=holder.client.get)
        born = [weakref.ref(holder.client),
                weakref.ref(holder.client.servers),
                weakref.ref(holder.client.wrapped)]
        self.assertFalse(escape.unaccounted(born, (holder, Holder)))
        self.assertEqual([], walks)
        # a copy shares the children dict: its slots are counted once
        holder.copy = type(holder.client).__new__(type(holder.client))
        vars(holder.copy).update(vars(holder.client))
        born.append(weakref.ref(holder.copy))
        elsewhere = [holder.client.servers]
        self.assertTrue(escape.unaccounted(born, (holder, Holder)))
        del elsewhere

    def test_mocks_given_to_patchers_need_no_walk(self):
        # patch.object(..., return_value=m) keeps m in the patcher's kwargs,
        # patch.object(..., new=m) in its __dict__, and a copy of a patcher
        # (a class decorator makes one per test) shares its kwargs: counted
        # once each, in the quick count
        walks = support.calls_to(self, escape, '_known_references')
        holder = Holder()
        by_value = mock.patch.object(Holder, 'attribute',
                                     return_value=mock.Mock())
        copied = by_value.copy()
        by_new = mock.patch.object(Holder, 'attribute', new=mock.Mock())
        born = [weakref.ref(by_value.kwargs['return_value']),
                weakref.ref(by_new.new)]
        patchers = [by_value, copied, by_new, by_new]
        self.assertFalse(escape.unaccounted(born, (holder, Holder),
                                            patchers=patchers))
        self.assertEqual([], walks)
        # held from outside as well: unexplained, after the walk
        elsewhere = [by_value.kwargs['return_value']]
        self.assertTrue(escape.unaccounted(born, (holder, Holder),
                                           patchers=patchers))
        self.assertEqual(1, len(walks))
        del elsewhere

    def test_a_method_bound_to_a_mock_and_set_on_it(self):
        # cfg.set_default = types.MethodType(fake_set_default, cfg)
        def fake(cfg, name, value):
            return value

        def bind(made):
            made.set_default = types.MethodType(fake, made)
            made.other.bound = made.set_default   # one method, two holders
            return made
        self.assertFalse(self.check(lambda: bind(mock.Mock()), False))
        self.assertTrue(self.check(lambda: bind(mock.Mock()), True))


class TestCollectionSchedule(testtools.TestCase):
    """The generation collected between tests: as the interpreter would."""

    THRESHOLD = (700, 10, 10)
    ENOUGH = 700 * 11 * 11   # allocations that make the oldest due

    def setUp(self):
        super().setUp()
        self.schedule = escape.CollectionSchedule()
        self.heap_reads = []

    def due(self, blocks=1000, full_runs=3, threshold=THRESHOLD):
        def heap():
            self.heap_reads.append(blocks)
            return blocks, full_runs
        return self.schedule.due(threshold, heap)

    def test_the_middle_until_allocations_make_the_oldest_due(self):
        self.schedule.checked(self.ENOUGH - 100)
        self.assertEqual(1, self.due())
        self.assertEqual([], self.heap_reads)   # the heap is read only for
        self.schedule.checked(101)              # the oldest
        self.assertEqual(1, self.due())
        self.assertEqual([1000], self.heap_reads)

    def test_a_full_collection_once_the_heap_grew_by_a_quarter(self):
        self.schedule.checked(self.ENOUGH + 1)
        self.assertEqual(1, self.due(blocks=1000))  # the base: counted
        self.schedule.checked(self.ENOUGH + 1)      # from there
        self.assertEqual(1, self.due(blocks=1250))
        self.assertEqual(2, self.due(blocks=1251))
        self.schedule.collected_all(1300, 4)
        # counted again from the full collection
        self.assertEqual(1, self.due(blocks=1700, full_runs=4))
        self.schedule.checked(self.ENOUGH + 1)
        self.assertEqual(1, self.due(blocks=1500, full_runs=4))
        self.assertEqual(2, self.due(blocks=1700, full_runs=4))

    def test_a_full_collection_of_the_interpreter_is_the_new_base(self):
        self.schedule.checked(self.ENOUGH + 1)
        self.assertEqual(1, self.due(blocks=1000))
        self.assertEqual(1, self.due(blocks=2000, full_runs=4))
        self.assertEqual(1, self.due(blocks=2400, full_runs=4))

    def test_nothing_when_automatic_collection_is_off(self):
        self.schedule.checked(10 ** 9)
        self.assertIsNone(self.due(threshold=(0, 10, 10)))

    def test_the_oldest_by_the_allocations_when_the_heap_is_unknown(self):
        # PYTHONMALLOC=malloc: more often than the interpreter would, never
        # less (a check's collections keep the interpreter from its own)
        self.assertEqual(1, self.due(blocks=0))
        self.schedule.checked(self.ENOUGH + 1)
        self.assertEqual(2, self.due(blocks=0))


class TestCollectionsAroundChecks(testtools.TestCase):
    """A check collects the youngest generation; the next test, the rest."""

    def setUp(self):
        super().setUp()
        self.addCleanup(gc.set_threshold, *gc.get_threshold())
        self.collected = []
        self.useFixture(fixtures.MockPatchObject(
            escape.gc, 'collect', side_effect=self.collected.append))
        self.useFixture(fixtures.MockPatchObject(
            escape, '_schedule', escape.CollectionSchedule()))

    def test_the_youngest_at_a_check_the_middle_before_the_next_test(self):
        escape.collect_young()
        self.assertEqual([0], self.collected)
        escape.collect_finished()
        escape.collect_finished()    # once per check
        self.assertEqual([0, 1], self.collected)

    def test_nothing_before_a_test_when_no_check_collected(self):
        escape.collect_finished()
        gc.set_threshold(0, 10, 10)
        escape.collect_young()
        escape.collect_finished()
        self.assertEqual([], self.collected)


class TestUnwatchedReferences(testtools.TestCase):
    """References from places the sweep never reads, counted per id."""

    def test_each_reference_counts_once_however_many_there_are(self):
        # small inputs are counted key by key, large ones through one
        # tally of the ids: both must give every key its references
        for size in (3, 3000):
            counts = dict.fromkeys(range(size), 0)
            entries = list(range(0, size, 2)) * 2 + [size + 1]
            escape._count_from_unwatched(counts, entries)
            self.assertEqual([2, 0, 2], [counts[0], counts[1], counts[2]],
                             size)
            # the id that is no key counts for nothing
            self.assertEqual(2 * len(range(0, size, 2)),
                             sum(counts.values()), size)


class TestWhoseClass(testtools.TestCase):
    """Which classes are a mock's own, and which live as long as a module."""

    def test_the_class_made_for_one_mock(self):
        self.assertTrue(sweep.made_for_one_mock(type(mock.Mock())))
        self.assertTrue(sweep.made_for_one_mock(type(mock.MagicMock())))
        self.assertFalse(sweep.made_for_one_mock(mock.Mock))
        self.assertFalse(sweep.made_for_one_mock(Holder))

    def test_classes_held_by_their_module(self):
        class Local:
            pass
        self.assertTrue(sweep.held_by_its_module(Holder))
        self.assertTrue(sweep.held_by_its_module(Holder.Nested))
        self.assertFalse(sweep.held_by_its_module(Local))
        self.assertFalse(sweep.held_by_its_module(type(mock.Mock())))


class TestFramesKept(testtools.TestCase):
    """escape._frames_kept: the frames an exception's traceback keeps."""

    @staticmethod
    def _raise_through(exception, depth):
        if depth:
            TestFramesKept._raise_through(exception, depth - 1)
        raise exception

    def _raised(self, exception, times, depth=5):
        for _ in range(times):
            try:
                self._raise_through(exception, depth)
            except ValueError:
                pass

    def test_the_frames_it_went_through_and_their_callers(self):
        error = ValueError('once')
        self._raised(error, 1)
        frames = escape._frames_kept(error, set(),
                                     escape._running_frames())
        names = [frame.f_code.co_name for frame in frames]
        # the six frames it was raised through, and the one that caught it
        # (_raised), which is no longer running; nothing still running
        self.assertEqual(['_raised'] + ['_raise_through'] * 6, names)

    def test_a_reraised_exception_is_read_only_so_far(self):
        # raised again and again, one exception's traceback keeps every
        # frame it went through: the check reads a bounded number
        error = ValueError('again')
        self._raised(error, 100)
        frames = escape._frames_kept(error, set(), set())
        self.assertEqual(escape._FRAME_LIMIT, len(frames))

    def test_the_exceptions_it_was_raised_from(self):
        def inner():
            raise KeyError('first')

        def fail():
            try:
                inner()
            except KeyError as exc:
                raise ValueError('second') from exc

        try:
            fail()
        except ValueError as exc:
            error = exc
        # inner's frame is on the traceback of the KeyError alone
        running = escape._running_frames()
        names = {frame.f_code.co_name
                 for frame in escape._frames_kept(error, set(), running)}
        self.assertIn('inner', names)
        error.__cause__ = error.__context__ = None
        names = {frame.f_code.co_name
                 for frame in escape._frames_kept(error, set(), running)}
        self.assertNotIn('inner', names)


class TestRecordedArguments(testtools.TestCase):
    """What the lists and tuples a mock recorded count for."""

    def counted(self, recorder, target):
        walk = escape._Walk([target])
        escape._count_from_test(walk, [], [recorder])
        return walk.counts[id(target)]

    def test_a_list_only_the_call_holds_is_the_tests_own(self):
        recorder, other = mock.Mock(), mock.Mock()
        recorder(items=[other], nested=([other],))
        self.assertEqual(2, self.counted(recorder, other))

    def test_a_list_held_elsewhere_is_not(self):
        recorder, other = mock.Mock(), mock.Mock()
        shared = [other]
        recorder(shared, (shared,))
        self.assertEqual(0, self.counted(recorder, other))

    def test_what_a_patchers_side_effect_leads_to_is_the_tests_own(self):
        # side_effect=closure over a generator of objects holding mocks,
        # known only to the patcher once the mock it made is gone
        def start():
            statuses = [Holder.Nested() for _ in range(2)]
            for status in statuses:
                status.save = mock.Mock()
            answers = (status for status in statuses)

            def next_answer(*args):
                return next(answers)
            born = [weakref.ref(status.save) for status in statuses]
            return born, mock.patch.object(Holder, 'missing', create=True,
                                           side_effect=next_answer)
        holder = Holder()
        born, patcher = start()
        self.assertIsNotNone(born[0]())
        self.assertFalse(escape.unaccounted(born, (holder, Holder),
                                            owner=holder,
                                            patchers=[patcher]))
