"""Package discovery under the `platform/` → `data_platform` mapping (the rest is pyproject.toml).

`find_namespace_packages("platform")` sees the folder's subpackages without the import prefix,
so they are prefixed here; `platform/` itself has no `__init__.py` and must never be found as
`platform`. Namespace discovery also lists the folders that only hold data (the dbt project,
the lake's SQL models), which pyproject.toml's package-data then ships.
"""

from setuptools import find_namespace_packages, setup

packages = find_namespace_packages("platform", exclude=["__pycache__", "*.__pycache__"])
setup(packages=["data_platform", *(f"data_platform.{name}" for name in packages)])
