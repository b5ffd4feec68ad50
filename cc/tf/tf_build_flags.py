"""Writes what CMake needs from the installed TensorFlow to a CMake script.

Usage: python tf_build_flags.py OUT.cmake
Sets TF_VERSION, TF_COMPILE_FLAGS and TF_LINK_FLAGS (lists holding the flags
of tf.sysconfig exactly as returned) and TF_INCLUDE_DIR (tf.sysconfig.get_include()).
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402


def _quote(item):
    escaped = item.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def main(out_path):
    values = {
        "TF_VERSION": [tf.__version__],
        "TF_COMPILE_FLAGS": tf.sysconfig.get_compile_flags(),
        "TF_LINK_FLAGS": tf.sysconfig.get_link_flags(),
        "TF_INCLUDE_DIR": [tf.sysconfig.get_include()],
    }
    with open(out_path, "w", encoding="utf-8") as f:
        for name, items in values.items():
            f.write(f"set({name} {' '.join(_quote(i) for i in items)})\n")


if __name__ == "__main__":
    main(sys.argv[1])
