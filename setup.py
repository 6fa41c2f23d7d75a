"""Package layout that pyproject.toml cannot express statically: the shell package
``workbench``, every first-party plugin package under ``plugins/``, and ``resources/``
installed as ``workbench_resources`` (all its files as package data)."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
packages = find_packages(".", include=["workbench", "workbench.*"])
package_dir = {}
for pkg in find_packages("plugins", include=["workbench_*"]):
    packages.append(pkg)
    package_dir[pkg] = "plugins/" + pkg.replace(".", "/")
packages.append("workbench_resources")
package_dir["workbench_resources"] = "resources"
resource_files = [
    str(p.relative_to(HERE / "resources"))
    for p in (HERE / "resources").rglob("*")
    if p.is_file() and "__pycache__" not in p.parts
]

setup(packages=packages, package_dir=package_dir, package_data={"workbench_resources": resource_files})
