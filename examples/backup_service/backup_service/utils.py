"""Helpers that reach outside the process."""

import subprocess


def execute_with_timeout(*command, timeout=60):
    """Run ``command``; return its standard output as text."""
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=timeout, check=True)
    return result.stdout


def generate_random_password(length=16):
    """A random password for the backup archive."""
    import secrets
    return secrets.token_urlsafe(length)[:length]
