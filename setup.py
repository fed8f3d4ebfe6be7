"""setuptools hook for the start-up file; the metadata is in pyproject.toml."""

import os

import setuptools
from setuptools.command.build_py import build_py

# Python runs the one line of this file at every start-up; it turns the
# leak checks on for the whole process when MOCKTOOLS_CHECK is set (see
# mocktools/integrations/autocheck.py).  It has to sit at the top of
# site-packages.
STARTUP_HOOK = 'mocktools-autocheck.pth'


class BuildPyWithStartupHook(build_py):
    """``build_py`` that also puts the start-up hook beside the package."""

    def run(self):
        super().run()
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              STARTUP_HOOK)
        self.copy_file(source, os.path.join(self.build_lib, STARTUP_HOOK),
                       preserve_mode=False)

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [
            os.path.join(self.build_lib, STARTUP_HOOK)]


setuptools.setup(cmdclass={'build_py': BuildPyWithStartupHook})
