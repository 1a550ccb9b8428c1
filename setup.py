"""Package discovery under the `platform/` → `data_platform` mapping (the rest is pyproject.toml).

`find_packages("platform")` sees the folder's subpackages without the import prefix, so they
are prefixed here; `platform/` itself has no `__init__.py` and must never be found as `platform`.
"""

from setuptools import find_packages, setup

setup(packages=["data_platform", *(f"data_platform.{name}" for name in find_packages("platform"))])
