"""`pip install --no-build-isolation ./python`: builds the extension lmkit._lmkit from python/src against
an installed lmkit (`cmake --install build/release --prefix P` of a build with LMKIT_PYTHON=ON, whose
libraries are position-independent), found by pkg-config in $LMKIT_PREFIX/lib/pkgconfig (or on
PKG_CONFIG_PATH). Needs only Debian's setuptools and pybind11, no network (docs/python.md)."""
import glob
import os
import shlex
import subprocess

from pybind11.setup_helpers import Pybind11Extension
from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))


def pkg_config(*args):
    env = dict(os.environ)
    prefix = os.environ.get("LMKIT_PREFIX")
    if prefix:
        env["PKG_CONFIG_PATH"] = os.pathsep.join(
            p for p in [os.path.join(prefix, "lib", "pkgconfig"), env.get("PKG_CONFIG_PATH", "")] if p)
    try:
        out = subprocess.run(["pkg-config", *args, "lmkit"], env=env, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit(f"lmkit's setup.py: pkg-config found no installed lmkit ({e}); install it with "
                         "`cmake --install build/release --prefix P` and set LMKIT_PREFIX=P")
    return shlex.split(out.stdout)


extension = Pybind11Extension(
    "lmkit._lmkit",
    sorted(glob.glob(os.path.join("src", "*.cpp"))),
    cxx_std=20,
    extra_compile_args=pkg_config("--cflags"),
    extra_link_args=pkg_config("--libs"),
)

setup(
    name="lmkit",
    version=pkg_config("--modversion")[0],
    description="lmkit from Python: ∞-gram indexes (Infini-gram's InfiniGramEngine) and language models",
    packages=["lmkit"],
    ext_modules=[extension],
    python_requires=">=3.8",
)
