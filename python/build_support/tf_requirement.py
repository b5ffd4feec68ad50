"""scikit-build-core metadata provider: the wheel's runtime dependencies.

The op library is compiled against one TensorFlow release and only loads in
the same minor version, so the wheel depends on the distribution the build
found (``tensorflow`` or ``tensorflow-cpu``: both ship the same library),
pinned to that minor version.
"""

from __future__ import annotations

from importlib import metadata

_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos")


def _tensorflow_requirement() -> str:
    for name in _DISTRIBUTIONS:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        major, minor = (int(part) for part in version.split(".")[:2])
        return f"{name}>={major}.{minor},<{major}.{minor + 1}"
    msg = (
        "tfnpy builds against the installed TensorFlow, and none was found. "
        "Install tensorflow or tensorflow-cpu first, then build with "
        "'pip install --no-build-isolation .'"
    )
    raise RuntimeError(msg)


def dynamic_metadata(field, settings=None, project=None):  # noqa: ARG001
    if field != "dependencies":
        msg = f"tf_requirement only provides 'dependencies', not {field!r}"
        raise RuntimeError(msg)
    return ["numpy>=1.23", _tensorflow_requirement()]
