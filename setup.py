"""Build step pyproject.toml cannot say: the example org is packaged as data only.

``guardrails check --example`` must work after a plain ``pip install``, so the
wheel carries examples/acme as ``guardrails/example/`` (pyproject.toml maps
the folder and lists its data files). That folder also holds ``generate.py``,
the script that writes the example's data; setuptools would ship every ``.py``
file of a mapped package as a module, and a data generator is not part of the
installed program. Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

from setuptools import setup
from setuptools.command.build_py import build_py

#: packages whose folders hold data only: their .py files stay in the repository
DATA_ONLY = {"guardrails.example"}


class BuildPy(build_py):
    """build_py that ships no modules from the data-only packages."""

    def find_package_modules(self, package, package_dir):  # type: ignore[no-untyped-def]
        if package in DATA_ONLY:
            return []
        return super().find_package_modules(package, package_dir)


setup(cmdclass={"build_py": BuildPy})
