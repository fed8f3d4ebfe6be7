"""The project's base test class, Trove style, built on mocktools."""

import mocktools

from backup_service import conf
from backup_service import notifier


class TestCase(mocktools.TestCase):
    """Every test: our CONF, mysql by default, notifications captured."""

    conf_opts = conf.CONF
    config_overrides = {'datastore.manager': 'mysql'}
    patches = {'notify': mocktools.Patch.object(notifier, 'notify',
                                                autospec=True)}

    def patch_datastore_manager(self, manager):
        """Run the test as if ``manager`` were the configured datastore."""
        self.patch_conf_property('manager', manager, section='datastore')
