"""The service's configuration: a few options and a [datastore] group."""

from oslo_config import cfg

CONF = cfg.ConfigOpts()

CONF.register_opts([
    cfg.IntOpt('backup_chunk_size', default=65536, min=1,
               help='Bytes read per chunk while streaming a backup.'),
    cfg.IntOpt('backup_timeout', default=600,
               help='Seconds before a backup command is killed.'),
    cfg.StrOpt('storage_url', default='http://storage.invalid',
               help='Where backups are uploaded.'),
])

CONF.register_opts([
    cfg.StrOpt('manager', default='mysql',
               choices=['mysql', 'redis', 'cassandra'],
               help='Datastore whose backup strategy is used.'),
    cfg.BoolOpt('cluster_support', default=False,
                help='Whether clustered instances are backed up.'),
], group='datastore')


def load(args=()):
    """Parse ``args`` (no config files) so options can be read."""
    CONF(list(args), project='backup_service', default_config_files=[])


load()
