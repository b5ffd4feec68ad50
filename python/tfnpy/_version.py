__version__ = "0.1.0"

# The first and last TensorFlow minor versions tfnpy is built and tested with
# (docs/packaging.md, "Supported versions"). Read by python/build_support as well.
SUPPORTED_TENSORFLOW = ("2.16", "2.21")
