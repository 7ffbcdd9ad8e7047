"""The build step of f0monitor: compile the message catalogs into the package.

Metadata lives in setup.cfg. ``build_py`` (run by ``pip install .``, ``pip install -e .``,
``pip wheel`` and ``python -m build``) compiles every ``.po`` into its ``.mo`` with Babel
before the package files are collected, so an installed f0monitor speaks Vietnamese without
``make``, and no binary catalog is committed (``*.mo`` stays ignored by git). It also copies
the top-level ``templates/`` and ``static/`` into the built package (``f0monitor/_site``),
where an installed app finds them (a source checkout and ``pip install -e`` use the tree).
"""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class build_py_with_catalogs(build_py):  # noqa: N801 - setuptools' naming
    def run(self):
        # Loaded by path: importing the f0monitor package would need Flask at build time.
        spec = importlib.util.spec_from_file_location("_f0_catalogs", HERE / "f0monitor" / "_catalogs.py")
        catalogs = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(catalogs)
        for mo in catalogs.compile_catalogs(HERE / "f0monitor" / "translations"):
            self.announce(f"compiled {mo.relative_to(HERE)}", level=2)
        super().run()
        if not getattr(self, "editable_mode", False):
            for name in ("templates", "static"):
                target = Path(self.build_lib) / "f0monitor" / "_site" / name
                shutil.copytree(HERE / name, target, dirs_exist_ok=True)
                self.announce(f"copied {name}/ into {target}", level=2)


setup(cmdclass={"build_py": build_py_with_catalogs})
