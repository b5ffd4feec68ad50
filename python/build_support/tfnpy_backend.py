"""PEP 517 build backend: scikit-build-core, after a check for TensorFlow.

The op library is compiled against the TensorFlow it will run with, so
TensorFlow cannot be a build requirement, and pip's isolated build
environment (the default) never has it. Instead of a traceback from deep in
the build, the wheel hooks stop at once with what to type. Source
distributions need no TensorFlow and are not checked.
"""

from __future__ import annotations

import sys

import tf_requirement

_BUILD_TOOLS = "scikit-build-core pybind11 cmake ninja"


def _stop(lines):
    sys.stderr.write("\n".join(["", *lines, ""]) + "\n")
    sys.stderr.flush()
    raise SystemExit(1)


def _check():
    first, last = tf_requirement.supported_range()
    found = tf_requirement.installed_tensorflow()
    if found is None:
        _stop([
            "tfnpy: the build environment has no TensorFlow.",
            "tfnpy is compiled against the TensorFlow it will run with, so TensorFlow is not",
            "a build requirement, and pip's isolated build environment (the default) lacks it.",
            f"In an environment with TensorFlow {first}-{last} installed, run:",
            f"    pip install {_BUILD_TOOLS}",
            "    pip install --no-build-isolation .",
        ])
    distribution, version = found
    if tf_requirement.minor(version) < tf_requirement.minor(first):
        _stop([f"tfnpy: {distribution} {version} is older than the oldest supported "
               f"TensorFlow, {first} (tfnpy supports {first} to {last})."])
    if tf_requirement.minor(version) > tf_requirement.minor(last):
        sys.stderr.write(f"tfnpy: warning: building against {distribution} {version}; "
                         f"tfnpy is tested with TensorFlow {first} to {last}.\n")


def _backend():
    try:
        from scikit_build_core import build
    except ImportError:
        _stop(["tfnpy: scikit-build-core is not installed in the build environment.",
               f"    pip install {_BUILD_TOOLS}",
               "    pip install --no-build-isolation ."])
    return build


def _hook(name, check):
    def hook(*args, **kwargs):
        if check:
            _check()
        return getattr(_backend(), name)(*args, **kwargs)

    hook.__name__ = hook.__qualname__ = name
    return hook


# Every PEP 517 / 660 hook scikit-build-core has; the wheel and editable ones checked.
for _name in ("get_requires_for_build_wheel", "prepare_metadata_for_build_wheel", "build_wheel",
              "get_requires_for_build_editable", "prepare_metadata_for_build_editable",
              "build_editable"):
    globals()[_name] = _hook(_name, check=True)
for _name in ("get_requires_for_build_sdist", "build_sdist"):
    globals()[_name] = _hook(_name, check=False)
