"""oslo.config overrides for tests, with errors that name the bad option.

:class:`ConfigFixture` is ``oslo_config.fixture.Config`` (the field's standard
config fixture: everything it sets is undone at cleanup by ``conf.reset()``)
plus :meth:`ConfigFixture.override`, which validates the option, the group
and the value up front and fails with a message naming all three::

    fixture = self.useFixture(ConfigFixture(CONF))
    fixture.override('max_accepted_volume_size', 10)
    fixture.override('cluster_support', False, group='redis')

Why not a ``PropertyMock`` on the ``ConfigOpts`` class, as Trove's
``patch_conf_property`` did: that replaced the attribute only, so ``CONF.x``
saw the new value while ``CONF['x']``, ``CONF.get('x')`` and code that reads
the group object by item kept the old one; it skipped type conversion (an
``IntOpt`` could be "patched" to ``'abc'``); and it silently "patched" options
that did not exist.  ``set_override`` goes through oslo.config itself, so all
access paths agree, values are converted by the option's type, and unknown
names are refused.
"""

from oslo_config import cfg
from oslo_config import fixture as config_fixture

__all__ = ['ConfigFixture', 'ConfigOverrideError', 'override_error']


class ConfigOverrideError(AssertionError):
    """An override named an unknown option or group, or a bad value.

    An ``AssertionError`` so that the test using it is reported as failed.
    """


def _group_label(group):
    return 'DEFAULT' if group is None else str(group)


def override_error(conf, name, value, group, exc, where='override'):
    """Build a :class:`ConfigOverrideError` for a failed ``set_override``."""
    if isinstance(exc, cfg.NoSuchGroupError):
        text = 'unknown group [%s] (option %r)' % (_group_label(group), name)
    elif isinstance(exc, cfg.NoSuchOptError):
        text = 'unknown option %r in group [%s]' % (name, _group_label(group))
    else:
        text = 'invalid value %r for option %r in group [%s]: %s' % (
            value, name, _group_label(group), exc)
    return ConfigOverrideError('%s: %s of %s' % (where, text, _describe(conf)))


def _describe(conf):
    if conf is cfg.CONF:
        return 'oslo_config.cfg.CONF'
    project = getattr(conf, 'project', None)
    if isinstance(project, str) and project:
        return 'ConfigOpts(project=%r)' % project
    return 'ConfigOpts object at %#x' % id(conf)


class ConfigFixture(config_fixture.Config):
    """``oslo_config.fixture.Config`` with validated, clear-error overrides.

    Everything the base fixture offers (``config()``, ``set_default()``,
    ``register_opt()``, ``load_raw_values()``, ``set_config_files()``,
    ``set_config_dirs()``) is available unchanged, and undone at cleanup.
    """

    def override(self, name, value, group=None, where='override'):
        """Override option ``name`` (in ``group``) with ``value`` for the test.

        The value is converted by the option's type, so ``CONF.name``,
        ``CONF['name']`` and ``CONF.group.name`` all see the same converted
        value.  An unknown option, an unknown group or a value the type
        rejects raises :class:`ConfigOverrideError` naming them; ``where``
        prefixes that message (the helper or class attribute involved).
        """
        try:
            self.conf.set_override(name, value, group)
        except (cfg.Error, ValueError, TypeError) as exc:
            raise override_error(
                self.conf, name, value, group, exc, where) from exc
