"""Guard: oslo.config overrides and defaults left set.

``set_override``/``set_default`` (and their ``clear_*``) of every
``ConfigOpts`` -- ``cfg.CONF`` or a project's own instance -- are hooked
once ``oslo_config`` is imported; what the test left set, against what was
set before, is compared on the option's own record.  The oslo.config
fixture (``oslo_config.fixture.Config``) undoes its overrides with
``reset()`` at cleanup, which the comparison sees as restored.  Options
registered or unregistered during a test are not a change.
"""

import sys

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

    def install(self):
        module = sys.modules.get('oslo_config.cfg')
        if module is None:
            return   # checked again at the next class (see guards.install)
        guard = self
        for method, field in _METHODS.items():
            base.hook(module.ConfigOpts, method,
                      lambda original, field=field: _hooked(
                          guard, original, field))

    def current(self, key, subject):
        return subject[1].get(key[1], base.MISSING)

    def describe(self, key, old, new, subject=None):
        conf, _, group, option = subject
        where = '%s[%s] %s' % (_conf_name(conf), group or 'DEFAULT', option)
        field = key[1]
        if new is base.MISSING:
            return '%s (%s cleared)' % (where, field), \
                'oslo.config %s cleared' % field
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
    def hooked(self, name, *args, **kwargs):
        group = kwargs.get('group', args[1] if len(args) > 1 else None) if (
            original.__name__.startswith('set_')) else kwargs.get(
            'group', args[0] if args else None)
        try:
            info = self._get_opt_info(name, group)
        except Exception:
            info = None   # the call itself raises the error for the user
        if isinstance(info, dict):
            group_name = getattr(group, 'name', group)
            guard.record((id(info), field), info.get(field, base.MISSING),
                         (self, info, group_name, name))
        return original(self, name, *args, **kwargs)
    hooked.__name__ = original.__name__
    hooked.__doc__ = original.__doc__
    return hooked


def _conf_name(conf):
    module = sys.modules.get('oslo_config.cfg')
    if module is not None and conf is vars(module).get('CONF'):
        return 'cfg.CONF'
    from mocktools import detector
    return detector._module_level_name(conf) or '<ConfigOpts at %#x>' % id(
        conf)
