"""Taking a backup: dump the datastore, upload it, tell the world."""

from backup_service import client
from backup_service import conf
from backup_service import notifier
from backup_service import utils

COMMANDS = {
    'mysql': ('mysqldump', '--all-databases'),
    'redis': ('redis-cli', '--rdb', '-'),
    'cassandra': ('nodetool', 'snapshot'),
}


def run_backup(name, storage=None):
    """Back up the configured datastore as ``name``; return the location."""
    CONF = conf.CONF
    manager = CONF.datastore.manager
    if CONF.datastore.cluster_support and manager == 'mysql':
        raise ValueError('mysql clusters are backed up per node')
    notifier.notify('backup.start', name=name, manager=manager)
    data = utils.execute_with_timeout(*COMMANDS[manager],
                                      timeout=CONF.backup_timeout)
    password = utils.generate_random_password()
    storage = storage or client.StorageClient(CONF.storage_url)
    location = storage.upload(name, data[:CONF.backup_chunk_size])
    notifier.notify('backup.end', name=name, location=location,
                    encrypted=bool(password))
    return location
