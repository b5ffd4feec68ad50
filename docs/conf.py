"""Sphinx configuration of tfnpy's documentation (docs/README.md says how to build it)."""

import tfnpy
import tfnpy.data  # noqa: F401  (imports TensorFlow and the op library, for autodoc)

project = "tfnpy"
author = "the tfnpy authors"
copyright = "the tfnpy authors, Apache License 2.0"
# The one place the version comes from: the installed package.
version = release = tfnpy.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md", "requirements.txt"]

# Every reference must resolve (the build runs with -n -W): TensorFlow's and
# numpy's names have no inventory here (intersphinx would need the network),
# so only those are let through; a broken reference to tfnpy's own is an error.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(tf|tensorflow|np|numpy|ml_dtypes|os|typing)\..*"),
    (r"py:class", r"(int|str|bool|bytes|bytearray|memoryview|float|type|dict|tuple|list|None)"),
]

myst_enable_extensions = ["substitution", "deflist", "colon_fence"]
myst_heading_anchors = 3
myst_substitutions = {"version": release}

# API reference: Google-style docstrings (napoleon); types are given in the
# Args text, so signatures show names and defaults as written in the source.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
napoleon_use_rtype = False
autodoc_typehints = "none"
autodoc_preserve_defaults = True
autodoc_member_order = "bysource"

html_theme = "furo"
html_title = f"tfnpy {release}"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_show_sourcelink = False
pygments_style = "friendly"
