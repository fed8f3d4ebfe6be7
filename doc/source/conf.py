"""Sphinx configuration for the mocktools documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                '..', '..')))

project = 'mocktools'
copyright = '2026, mocktools developers'
extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.intersphinx',
    'sphinx.ext.viewcode',
]
autodoc_member_order = 'bysource'
autodoc_default_options = {'members': True, 'show-inheritance': True}
intersphinx_mapping = {}
nitpicky = False
html_theme = 'alabaster'
exclude_patterns = []
autodoc_mock_imports = ['pytest']
