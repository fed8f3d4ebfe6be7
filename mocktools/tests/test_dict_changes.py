"""Change trackers (dict watchers, version tags, copies) and the sweep on each.

Each tracker must name exactly the dicts written since they were last read;
the sweep must find the same leaks whichever tracker it runs on, so every
test here runs once per tracker this interpreter supports.
"""

import gc
import linecache
import sys
import types
from unittest import mock
import weakref

import fixtures
import testtools

from mocktools.engine import dict_changes
from mocktools.engine import escape
from mocktools.engine import instrumentation
from mocktools.engine import sweep as sweep_module
from mocktools.tests import targets

METHODS = [kind.method for kind in (
    dict_changes.WatcherTracker, dict_changes.VersionTracker)
    if kind.usable()] + ['copies']


class Plain:
    """A class whose dict is followed through its mappingproxy."""

    limit = 1


class TrackerTests(testtools.TestCase):
    """Every available tracker, one after the other."""

    def trackers(self):
        for method in METHODS:
            tracker = dict_changes.make_tracker(method)
            self.addCleanup(tracker.close)
            self.assertEqual(method, tracker.method)
            yield tracker

    def test_a_write_is_named_and_forgotten_once_seen(self):
        for tracker in self.trackers():
            module = types.ModuleType('followed')
            other = {'a': 1}
            tracker.add(vars(module))
            tracker.add(other)
            self.assertEqual([], tracker.changed(), tracker.method)
            module.x = 1
            self.assertEqual([0], tracker.changed(), tracker.method)
            tracker.seen(0)
            self.assertEqual([], tracker.changed(), tracker.method)
            del other['a']
            self.assertEqual([1], tracker.changed(), tracker.method)

    def test_scattered_writes_among_many_dicts_are_all_named(self):
        for tracker in self.trackers():
            mappings = [{'n': n} for n in range(1000)]
            for mapping in mappings:
                tracker.add(mapping)
            for position in (0, 3, 500, 501, 999):
                mappings[position]['n'] = -1
            self.assertEqual([0, 3, 500, 501, 999], tracker.changed(),
                             tracker.method)

    def test_dicts_added_after_a_read_are_followed_too(self):
        for tracker in self.trackers():
            first = {'a': 1}
            tracker.add(first)
            self.assertEqual([], tracker.changed(), tracker.method)
            # made later: anywhere in memory, before or after the first
            later = [{'b': n} for n in range(50)]
            for mapping in later:
                tracker.add(mapping)
            self.assertEqual([], tracker.changed(), tracker.method)
            first['a'] = 2
            later[0]['b'] = -1
            later[-1]['c'] = 1
            self.assertEqual([0, 1, 50], tracker.changed(), tracker.method)
            tracker.seen(1)
            self.assertEqual([0, 50], tracker.changed(), tracker.method)

    def test_a_class_attribute_write_is_named(self):
        for tracker in self.trackers():
            tracker.add(Plain.__dict__)
            Plain.limit = object()
            self.addCleanup(setattr, Plain, 'limit', 1)
            self.assertEqual([0], tracker.changed(), tracker.method)

    def test_a_new_value_under_an_old_key_is_a_write(self):
        for tracker in self.trackers():
            mapping = {'a': object()}
            tracker.add(mapping)
            mapping['a'] = object()
            self.assertEqual([0], tracker.changed(), tracker.method)

    @staticmethod
    def followed(tracker, count):
        """``count`` dicts weak references can follow, added to ``tracker``."""
        mappings = [WeakDict(n=n) for n in range(count)]
        for mapping in mappings:
            tracker.add(mapping)
        return mappings

    def test_a_released_dict_is_never_named_nor_kept(self):
        for tracker in self.trackers():
            mappings = self.followed(tracker, 4)
            mappings[1]['n'] = -1
            tracker.release(1)
            tracker.release(2)
            mappings[2]['n'] = -1
            mappings[3]['n'] = -1
            self.assertEqual([3], tracker.changed(), tracker.method)
            let_go = weakref.ref(mappings[2])
            del mappings[2]
            self.assertIsNone(let_go(), tracker.method)
            tracker.retain([0, 3])
            self.assertEqual([1], tracker.changed(), tracker.method)

    def test_retained_dicts_are_renumbered_and_the_others_let_go(self):
        for tracker in self.trackers():
            mappings = self.followed(tracker, 6)
            mappings[4]['n'] = -1    # written before: still named, as 2
            tracker.retain([0, 2, 4, 5])
            mappings[1]['n'] = -1    # let go: never named again
            mappings[5]['n'] = -1
            self.assertEqual([2, 3], tracker.changed(), tracker.method)
            tracker.seen(2)
            self.assertEqual([3], tracker.changed(), tracker.method)
            let_go = weakref.ref(mappings[3])
            del mappings[3]
            self.assertIsNone(let_go(), tracker.method)


class WeakDict(dict):
    """A dict that a weak reference can follow."""


class WatcherTests(testtools.TestCase):
    """What only dict watchers do."""

    def setUp(self):
        super().setUp()
        if not dict_changes.WatcherTracker.usable():
            self.skipTest('no dict watchers on this interpreter')

    def test_closed_watcher_records_nothing_and_frees_its_slot(self):
        tracker = dict_changes.WatcherTracker()
        mapping = {}
        tracker.add(mapping)
        tracker.close()
        mapping['x'] = 1
        self.assertEqual(0, len(tracker._events))
        # the slot is free again: as many watchers as before can be added
        again = dict_changes.WatcherTracker()
        again.close()

    def test_no_free_slot_falls_back(self):
        taken = []
        self.addCleanup(lambda: [tracker.close() for tracker in taken])
        while True:
            try:
                taken.append(dict_changes.WatcherTracker())
            except Exception:
                break
        tracker = dict_changes.make_tracker()
        self.addCleanup(tracker.close)
        self.assertNotEqual('dict watchers', tracker.method)


class SweepOnEveryTracker(testtools.TestCase):
    """The sweep finds leaks, and reads nothing unchanged, on each tracker."""

    def sweeps(self):
        for method in METHODS:
            sweeper = sweep_module.GlobalStateSweep(
                tracker=dict_changes.make_tracker(method))
            self.addCleanup(sweeper.tracker.close)
            yield sweeper

    def test_the_collector_is_paused_while_modules_are_scanned(self):
        # what a scan makes lives as long as the sweep: collections during
        # it are wasted (with the threshold at 1, one per object made)
        collected = []

        def noted(phase, info):
            # a collection that starts while a module is being taken in
            frame = sys._getframe(1)
            while phase == 'start' and frame is not None:
                if frame.f_code.co_name == '_add_module':
                    collected.append(info['generation'])
                frame = frame.f_back
        self.addCleanup(gc.callbacks.remove, noted)
        gc.callbacks.append(noted)
        self.addCleanup(gc.set_threshold, *gc.get_threshold())
        self.addCleanup(gc.enable)
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            gc.set_threshold(1)
            sweeper = sweep_module.GlobalStateSweep()
            gc.set_threshold(10 ** 6)
            self.addCleanup(sweeper.tracker.close)
            self.assertEqual([], collected)
            # left as it was found, on or off
            self.assertEqual(enabled, gc.isenabled())
            self.assertGreater(sweeper.stats()['dicts'], 100)

    def test_an_unchanged_world_reads_no_dict(self):
        for sweeper in self.sweeps():
            sweeper.sweep()
            reads = sweeper.stats()['reads']
            self.assertEqual([], sweeper.sweep())
            self.assertEqual(reads, sweeper.stats()['reads'],
                             sweeper.tracker.method)

    def test_leaks_are_found_on_every_tracker(self):
        places = [
            ('mocktools.tests.targets.created_attr',
             lambda value: setattr(targets, 'created_attr', value),
             lambda: vars(targets).pop('created_attr')),
            ('mocktools.tests.targets.SERVICE.name',
             lambda value: setattr(targets.SERVICE, 'name', value),
             lambda: setattr(targets.SERVICE, 'name', 'service')),
            ("mocktools.tests.targets.DRIVERS['volume']['fake']",
             lambda value: targets.DRIVERS['volume'].__setitem__(
                 'fake', value),
             lambda: targets.DRIVERS['volume'].pop('fake')),
            ('mocktools.tests.targets.HANDLERS[2]',
             targets.HANDLERS.append, targets.HANDLERS.pop),
        ]
        for sweeper in self.sweeps():
            for path, put, undo in places:
                sweeper.sweep()
                put(mock.Mock())
                try:
                    found = [finding.path for finding in sweeper.sweep()]
                finally:
                    undo()
                self.assertEqual([path], found, sweeper.tracker.method)

    def test_a_list_first_seen_by_a_sweep_is_compared_from_then_on(self):
        # the sweep that finds a list changed takes what it read as the
        # new 'before', and adds the lists it starts watching then
        for sweeper in self.sweeps():
            sweeper.sweep()
            fresh = ['x']
            targets.HANDLERS.append(fresh)
            try:
                self.assertEqual([], sweeper.sweep())
                self.assertEqual([], sweeper.sweep())
                fresh.append(mock.Mock())
                targets.HANDLERS[0] = targets.HANDLERS[0]
                found = [finding.path for finding in sweeper.sweep()]
            finally:
                targets.HANDLERS.pop()
            self.assertEqual(['mocktools.tests.targets.HANDLERS[2][1]'],
                             found, sweeper.tracker.method)

    def test_rebase_after_healing_reads_again_only_what_healing_wrote(self):
        # what else changed since the sweep is found by the next one; a
        # full rebase took it in as the new 'before', unreported
        for sweeper in self.sweeps():
            sweeper.sweep()
            targets.created_attr = mock.Mock()
            targets.HANDLERS.append(mock.Mock())
            targets.DRIVERS['volume']['fake'] = mock.Mock()
            try:
                findings = sweeper.sweep()
                self.assertEqual(3, len(findings), sweeper.tracker.method)
                for finding in findings:
                    finding.heal()
                # written after the sweep, not by healing (another thread)
                targets.Service.late_attr = mock.Mock()
                sweeper.rebase([finding.container for finding in findings])
                found = [finding.path for finding in sweeper.sweep()]
            finally:
                vars(targets).pop('created_attr', None)
                if 'late_attr' in vars(targets.Service):
                    del targets.Service.late_attr
            self.assertEqual(['mocktools.tests.targets.Service.late_attr'],
                             found, sweeper.tracker.method)
            self.assertEqual(['log', 'audit'], targets.HANDLERS)
            self.assertEqual({'lvm': 'LVMDriver'}, targets.DRIVERS['volume'])
            # the healed places' 'before' is what healing left there
            sweeper.sweep()
            targets.HANDLERS.append(mock.Mock())
            try:
                found = [finding.path for finding in sweeper.sweep()]
            finally:
                targets.HANDLERS.pop()
            self.assertEqual(['mocktools.tests.targets.HANDLERS[2]'], found,
                             sweeper.tracker.method)

    def _module(self, name, **attributes):
        module = types.ModuleType(name)
        vars(module).update(attributes)
        self.useFixture(fixtures.MonkeyPatch(
            'sys.modules', dict(sys.modules, **{name: module})))
        return module

    def test_a_class_is_watched_through_its_dict_not_a_proxy(self):
        # a mappingproxy per watched class was one more object for every
        # full collection to go through (about 12,000 in a cinder worker)
        for sweeper in self.sweeps():
            klass = type('Watched', (), {'limit': 1,
                                         '__module__': 'mt_classes'})
            self._module('mt_classes', Watched=klass)
            sweeper.sweep()
            # (dict subclasses too: ctypes' classes keep a StgDict)
            proxies = [container.path for container in sweeper.containers
                       if container.kind == 'class' and not isinstance(
                           container.mapping, dict)]
            self.assertEqual([], proxies, sweeper.tracker.method)
            klass.limit = mock.Mock()
            findings = sweeper.sweep()
            self.assertEqual(['mt_classes.Watched.limit'],
                             [finding.path for finding in findings],
                             sweeper.tracker.method)
            findings[0].heal()
            self.assertEqual(1, klass.limit)

    def test_what_a_module_no_longer_holds_is_let_go(self):
        # nova's fixtures replace nova.context.CELL_CACHE with a new dict
        # in every test; the sweep kept each old one watched, and with it
        # the database engine of every test (1 GB after 500 tests)
        for sweeper in self.sweeps():
            engine = Plain()
            module = self._module('mt_replaced', CELL_CACHE={'cell': [
                {'engine': engine}]})
            sweeper.sweep()
            watched = sweeper.stats()
            was_there = weakref.ref(engine)
            for _ in range(3):
                module.CELL_CACHE = {'cell': [{'engine': Plain()}]}
                self.assertEqual([], sweeper.sweep(), sweeper.tracker.method)
                self.assertEqual(
                    (watched['dicts'], watched['sequences']),
                    (sweeper.stats()['dicts'], sweeper.stats()['sequences']),
                    sweeper.tracker.method)
            del engine
            self.assertIsNone(was_there(), sweeper.tracker.method)
            # placeholders stand where they were, until taken out together
            self.assertIn(sweep_module._LET_GO_DICT, sweeper.containers)
            sweeper._drop_placeholders()
            self.assertNotIn(sweep_module._LET_GO_DICT, sweeper.containers)
            self.assertNotIn(sweep_module._LET_GO_SEQUENCE,
                             sweeper.sequences)
            self.assertEqual([], sweeper.sweep(), sweeper.tracker.method)
            # what replaced it is watched
            module.CELL_CACHE['cell'][0]['engine'] = mock.Mock()
            self.assertEqual(
                ["mt_replaced.CELL_CACHE['cell'][0]['engine']"],
                [finding.path for finding in sweeper.sweep()],
                sweeper.tracker.method)

    def test_what_healing_puts_back_is_still_watched(self):
        for sweeper in self.sweeps():
            module = self._module('mt_healed', REGISTRY={'lvm': 'driver'})
            sweeper.sweep()
            module.REGISTRY = mock.Mock()
            findings = sweeper.sweep()
            self.assertEqual(['mt_healed.REGISTRY'],
                             [finding.path for finding in findings])
            for finding in findings:
                finding.heal()
            sweeper.rebase([finding.container for finding in findings])
            module.REGISTRY['fake'] = mock.Mock()
            self.assertEqual(
                ["mt_healed.REGISTRY['fake']"],
                [finding.path for finding in sweeper.sweep()],
                sweeper.tracker.method)

    def test_source_lines_read_for_a_traceback_are_not_compared(self):
        # every traceback formatted (a report, a log record) caches the
        # lines of its files in linecache.cache: comparing each file's
        # lines at every sweep made late sweeps twice as costly
        for sweeper in self.sweeps():
            path = self.useFixture(fixtures.TempDir()).join('source.py')
            with open(path, 'w') as handle:
                handle.write('x = 1\n' * 500)
            self.addCleanup(linecache.cache.pop, path, None)
            # what making the file changed (tempfile's state) is taken in
            sweeper.sweep()
            before = sweeper.stats()
            self.assertEqual(500, len(linecache.getlines(path)))
            self.assertEqual([], sweeper.sweep(), sweeper.tracker.method)
            after = sweeper.stats()
            self.assertEqual(before['sequences'], after['sequences'],
                             sweeper.tracker.method)
            self.assertEqual(before['items'], after['items'],
                             sweeper.tracker.method)

    def test_thread_local_storage_is_counted_once_per_reference(self):
        # targets names its threading.local twice: counting what it holds
        # twice would let a reference from global state go unexplained
        held = object()
        targets.REQUEST_STORE.held = held
        self.addCleanup(vars(targets.REQUEST_STORE).clear)
        for sweeper in self.sweeps():
            self.assertEqual(
                1, sweeper.thread_local_references().count(id(held)),
                sweeper.tracker.method)

    def test_the_detectors_own_bookkeeping_is_not_watched(self):
        # it changes at every check: watching it would make every sweep
        # read it again (the collection schedule in escape did)
        sweeper = next(self.sweeps())
        watched = {id(container.owner) for container
                   in sweeper.containers + sweeper.sequences}
        for owner in (escape, instrumentation, sweep_module,
                      escape._schedule):
            self.assertFalse(id(owner) in watched, owner)

    def test_stats_say_what_is_watched_and_how(self):
        sweeper = next(self.sweeps())
        stats = sweeper.stats()
        self.assertEqual(METHODS[0], stats['method'])
        self.assertGreater(stats['dicts'], len(sys.modules) // 2)
        self.assertGreater(stats['values'], stats['dicts'])
        self.assertGreater(stats['sequences'], 0)


class FingerprintTests(testtools.TestCase):
    """dict_changes.fingerprint: the mock library guard's per-test read."""

    def _check(self):
        class Holder:
            value = 1
        namespace = {'a': 1}
        read = dict_changes.fingerprint([namespace, vars(Holder)])
        first = read()
        self.assertEqual(first, read())
        namespace['a'] = 2
        second = read()
        self.assertNotEqual(first, second)
        self.assertEqual(second, read())
        Holder.value = 2
        self.assertNotEqual(second, read())
        tracker = getattr(read, 'tracker', None)
        if tracker is not None:
            tracker.close()

    def test_the_best_way_here(self):
        self._check()

    def test_version_tags(self):
        if not dict_changes.VersionTracker.usable():
            self.skipTest('no version tags on this Python')
        self.useFixture(fixtures.MockPatchObject(
            dict_changes.WatcherTracker, 'usable', return_value=False))
        self._check()

    def test_copies(self):
        self.useFixture(fixtures.MockPatchObject(
            dict_changes.WatcherTracker, 'usable', return_value=False))
        self.useFixture(fixtures.MockPatchObject(
            dict_changes.VersionTracker, 'usable', return_value=False))
        self._check()
