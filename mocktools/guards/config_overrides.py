"""Guard: oslo.config overrides and defaults left set.

``set_override``/``set_default`` (and their ``clear_*``) of every
``ConfigOpts`` -- ``cfg.CONF`` or a project's own instance -- are hooked
once ``oslo_config`` is imported; what the test left set, against what was
set before, is compared on the option's own record.  The oslo.config
fixture (``oslo_config.fixture.Config``) undoes its overrides with
``reset()`` at cleanup, which the comparison sees as restored.  Options
registered or unregistered during a test are not a change, and neither is
an override or default cleared (``reset()`` clears even those set at
import) or one on a ``ConfigOpts`` made since the last check (a test's own
``self.conf = cfg.ConfigOpts()``, which no later test sees).
"""

import sys
import weakref

from mocktools.guards import base

__all__ = ['ConfigOverridesGuard']

_METHODS = {
    'set_override': 'override', 'clear_override': 'override',
    'set_default': 'default', 'clear_default': 'default',
}


class ConfigOverridesGuard(base.JournalGuard):
    """``CONF.set_override``/``set_default`` left set, cleared again."""

    name = 'config'
    title = 'oslo.config overrides and defaults (set_override, set_default)'

    def __init__(self):
        # id(ConfigOpts) -> (weak reference, journal position at its birth)
        self._born = {}

    def install(self):
        module = sys.modules.get('oslo_config.cfg')
        if module is None:
            return   # tried again when the next class or fixture begins
        guard = self
        for method, field in _METHODS.items():
            base.hook(module.ConfigOpts, method,
                      lambda original, field=field: _hooked(
                          guard, original, field))
        born = self._born

        def init_hook(original):
            def __init__(self, *args, **kwargs):
                key = id(self)
                try:
                    ref = weakref.ref(
                        self, lambda _, key=key: born.pop(key, None))
                except TypeError:
                    ref = None
                if ref is not None:
                    # a journal entry of its own, so that its position says
                    # whether it was made before or after a check
                    born[key] = (ref, base.journal.append(
                        (None, None, None, None, None)))
                return original(self, *args, **kwargs)
            __init__.__doc__ = original.__doc__
            return __init__
        base.hook(module.ConfigOpts, '__init__', init_hook)

    def excused(self, key, new, subject, clean):
        # An override or default cleared is not one left set: the oslo.config
        # fixture's reset() at cleanup clears them all, those set when the
        # project was imported too, and the next test's set-up sets again
        # what it needs.  A ConfigOpts made since the last check is the
        # test's own.
        return new is base.MISSING or _made_since(self._born, subject[0],
                                                  clean)

    def current(self, key, subject):
        conf, info, group, option = subject
        if _option_record(conf, group, option) is not info:
            # unregistered, or the whole state replaced (a test restoring
            # CONF with __setstate__): the value written is gone with it
            return base.MISSING
        return info.get(key[1], base.MISSING)

    def describe(self, key, old, new, subject=None):
        conf, _, group, option = subject
        where = '%s[%s] %s' % (_conf_name(conf), group or 'DEFAULT', option)
        field = key[1]
        return '%s (%s)' % (where, field), 'oslo.config %s left set' % field

    def put(self, key, value, subject):
        conf, info, _, _ = subject
        field = key[1]
        if value is base.MISSING:
            info.pop(field, None)
            done = '%s cleared' % field
        else:
            info[field] = value
            done = '%s set back to %s' % (field, base.safe_repr(value))
        cache = vars(conf).get('_ConfigOpts__cache')
        if isinstance(cache, dict):
            cache.clear()
        return done


def _hooked(guard, original, field):
    setter = original.__name__.startswith('set_')

    def hooked(self, name, *args, **kwargs):
        group = kwargs.get('group', args[1] if len(args) > 1 else None) if (
            setter) else kwargs.get('group', args[0] if args else None)
        try:
            info = self._get_opt_info(name, group)
        except Exception:
            info = None   # the call itself raises the error for the user
        if isinstance(info, dict):
            group_name = getattr(group, 'name', group)
            guard.record((id(info), field), info.get(field, base.MISSING),
                         (self, info, group_name, name))
        result = original(self, name, *args, **kwargs)
        if setter and isinstance(info, dict):
            _fix_location(info)
        return result
    hooked.__name__ = original.__name__
    hooked.__doc__ = original.__doc__
    return hooked


def _fix_location(info):
    """Point the option's recorded location at our caller, not at us.

    oslo.config notes where ``set_override``/``set_default`` was called
    from a fixed number of frames up (``cfg.get_location``); this hook is
    one more frame.
    """
    location = info.get('location')
    module = sys.modules.get('oslo_config.cfg')
    detail = getattr(module, '_get_caller_detail', None)
    if detail is None or type(location).__name__ != 'LocationInfo':
        return
    info['location'] = location._replace(detail=detail(3))


def _option_record(conf, group, option):
    """The dict oslo.config keeps for ``option`` now, read without lookups.

    None if the option (or its group) is not registered.
    """
    state = vars(conf)
    if group is None:
        opts = state.get('_opts')
    else:
        groups = state.get('_groups')
        found = groups.get(group) if isinstance(groups, dict) else None
        opts = vars(found).get('_opts') if found is not None else None
    return opts.get(option) if isinstance(opts, dict) else None


def _made_since(born, conf, position):
    """Whether ``conf`` was made at or after journal ``position``."""
    record = born.get(id(conf))
    return record is not None and record[0]() is conf and (
        record[1] >= position)


def _conf_name(conf):
    module = sys.modules.get('oslo_config.cfg')
    if module is not None and conf is vars(module).get('CONF'):
        return 'cfg.CONF'
    from mocktools.guards import mocks
    return mocks._module_level_name(conf) or '<ConfigOpts at %#x>' % id(
        conf)
