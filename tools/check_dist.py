"""Build the distributions and check that they are publishable.

``tox -e dist`` runs this: it builds the sdist and the wheel from the
checkout (``python -m build``), runs ``twine check --strict`` on both, checks
the metadata a user and PyPI rely on (a real version, Requires-Python, the
README as long description, classifiers, project URLs, the license file,
the dependencies with lower bounds, the entry points and the start-up hook),
then installs the sdist -- copied away from the checkout, so no git is
there -- into a fresh virtual environment and imports it.  Any problem is
printed and the exit status is 1.
"""

import email
import glob
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

REQUIRED_CLASSIFIERS = (
    'Programming Language :: Python :: 3.10',
    'Programming Language :: Python :: 3.13',
    'Framework :: Pytest',
    'Topic :: Software Development :: Testing',
)
REQUIRED_URLS = ('Documentation', 'Source', 'Bug Tracker')


def build(outdir):
    subprocess.run([sys.executable, '-m', 'build', '--outdir', outdir, ROOT],
                   check=True)
    sdist, = glob.glob(os.path.join(outdir, '*.tar.gz'))
    wheel, = glob.glob(os.path.join(outdir, '*.whl'))
    return sdist, wheel


def wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = [name for name in names
                if name.endswith('.dist-info/METADATA')][0]
        entry = [name for name in names
                 if name.endswith('.dist-info/entry_points.txt')][0]
        return (email.message_from_bytes(archive.read(info)), names,
                archive.read(entry).decode('utf8'))


def sdist_metadata(sdist):
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        info = [name for name in names if name.count('/') == 1
                and name.endswith('/PKG-INFO')][0]
        return email.message_from_bytes(archive.extractfile(info).read()), \
            names


def metadata_problems(meta, label):
    problems = []

    def need(condition, what):
        if not condition:
            problems.append('%s: %s' % (label, what))

    version = meta.get('Version', '')
    need(version and not version.startswith('0.0.0'),
         'real version (got %r)' % version)
    need(meta.get('Requires-Python') == '>=3.10',
         'Requires-Python >=3.10 (got %r)' % meta.get('Requires-Python'))
    need(meta.get('Description-Content-Type', '').startswith('text/x-rst'),
         'the README as text/x-rst long description')
    need('dangling' in (meta.get_payload() or ''),
         'the README text as long description')
    classifiers = meta.get_all('Classifier') or []
    for classifier in REQUIRED_CLASSIFIERS:
        need(classifier in classifiers, 'classifier %r' % classifier)
    need(meta.get('License-Expression') == 'Apache-2.0',
         'License-Expression Apache-2.0')
    need('LICENSE' in (meta.get_all('License-File') or []),
         'the LICENSE file')
    urls = dict(value.split(', ', 1)
                for value in meta.get_all('Project-URL') or [])
    for name in REQUIRED_URLS:
        need(name in urls, 'project URL %r' % name)
    need(not any('example.invalid' in url for url in urls.values()),
         'no placeholder URL')
    requires = meta.get_all('Requires-Dist') or []
    for name in ('testtools', 'fixtures', 'oslo.config', 'python-subunit'):
        need(any(req.startswith(name + '>=') for req in requires),
             'dependency %s with a lower bound' % name)
    return problems


def install_problems(sdist, version):
    """Install the sdist into a fresh venv, away from any git checkout."""
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        copy = shutil.copy(sdist, scratch)
        env_dir = os.path.join(scratch, 'venv')
        venv.create(env_dir, with_pip=True)
        python = os.path.join(env_dir, 'bin', 'python')
        subprocess.run([python, '-m', 'pip', 'install', '--quiet', copy],
                       check=True, cwd=scratch)
        check = subprocess.run(
            [python, '-c',
             'import glob, os, site, mocktools; print(mocktools.__version__);'
             'print(any(glob.glob(os.path.join(d, "mocktools-autocheck.pth"))'
             ' for d in site.getsitepackages()))'],
            cwd=scratch, stdout=subprocess.PIPE, text=True, check=True)
        installed, hook = check.stdout.split()
        if installed != version:
            problems.append('installed sdist says version %s, not %s' % (
                installed, version))
        if hook != 'True':
            problems.append('installed sdist has no mocktools-autocheck.pth')
    return problems


def main():
    with tempfile.TemporaryDirectory() as outdir:
        sdist, wheel = build(outdir)
        twine = subprocess.run([sys.executable, '-m', 'twine', 'check',
                                '--strict', sdist, wheel])
        problems = [] if twine.returncode == 0 else [
            'twine check --strict failed']
        meta, names, entry_points = wheel_metadata(wheel)
        problems += metadata_problems(meta, 'wheel')
        if 'mocktools-autocheck.pth' not in names:
            problems.append('wheel: no mocktools-autocheck.pth at its top')
        for entry in ('mocktools = mocktools.integrations.cli:main',
                      'mocktools = mocktools.integrations.pytest_plugin',
                      'MTL = mocktools.lint:MockLeakChecker'):
            if entry not in entry_points:
                problems.append('wheel: entry point %r missing' % entry)
        smeta, snames = sdist_metadata(sdist)
        problems += metadata_problems(smeta, 'sdist')
        for wanted in ('LICENSE', 'CHANGELOG.rst', 'mocktools-autocheck.pth'):
            if not any(name.endswith('/' + wanted) for name in snames):
                problems.append('sdist: %s missing' % wanted)
        problems += install_problems(sdist, meta['Version'])
    for problem in problems:
        print('PROBLEM: ' + problem)
    if not problems:
        print('distributions of mocktools %s: twine check --strict passed, '
              'metadata complete, sdist installs without git'
              % meta['Version'])
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
