"""tfnpy.decode_npy on valid input: parity with np.load, bit for bit.

Every case builds the bytes of a .npy file, checks that np.load reads it, and
checks that decode_npy returns the same array: same shape, same dtype (native
byte order, C order), same bytes (bools by value, and exactly 0/1 bytes).
"""

import os
import sys
import zlib

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tfnpy

# pytest runs with --import-mode=importlib, which does not put tests/ on
# sys.path; the shared helpers live next to this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npy_testutil import (SUPPORTED_DTYPES, array_mismatch, assert_same_array,
                          build_npy, descr_of, dict_text, header_bytes,
                          make_npy, native_c, np_load, numpy_npy, raw_data,
                          sample_array)
from npy_testutil import SHAPES, needs_numpy_for

VERSIONS = {"v1": (1, 0), "v2": (2, 0), "v3": (3, 0)}



def decode(contents, dtype, **kw):
    """decode_npy eagerly, as a numpy array."""
    return tfnpy.decode_npy(tf.constant(contents), dtype, **kw).numpy()


def tf_dtype(np_dtype):
    return tf.as_dtype(np.dtype(np_dtype).newbyteorder("="))


def check_parity(b, context="", **kw):
    """np.load accepts `b` and decode_npy returns the same array."""
    ref = np_load(b)
    got = decode(b, tf_dtype(ref.dtype), **kw)
    assert_same_array(got, ref, context)
    return ref


def test_version_string():
    assert isinstance(tfnpy.__version__, str) and tfnpy.__version__.strip()


# ----------------------------------------------------------------------------
# The full matrix: dtype x byte order x C/F x shape x version.


def _matrix_params():
    for dt in SUPPORTED_DTYPES:
        orders = ["|"] if np.dtype(dt).itemsize == 1 else ["<", ">"]
        for bo in orders:
            for layout in ("C", "F"):
                for sid, shape in SHAPES.items():
                    for vid, version in VERSIONS.items():
                        name = {"<": "le", ">": "be", "|": "na"}[bo]
                        yield pytest.param(
                            dt, bo, layout, shape, version, marks=needs_numpy_for(shape),
                            id=f"{dt}-{name}-{layout}-{sid}-{vid}")


@pytest.mark.parametrize("dt,bo,layout,shape,version", list(_matrix_params()))
def test_matrix(dt, bo, layout, shape, version):
    arr = sample_array(dt, shape, seed=zlib.crc32(repr((dt, shape)).encode()))
    if layout == "C":
        # numpy's own writer; the array in the requested byte order.
        src = arr
        if arr.dtype.itemsize > 1 and bo == ">":
            src = arr.byteswap().view(arr.dtype.newbyteorder(">"))
        b = numpy_npy(src, version)
    else:
        # fortran_order=True for every shape, even where numpy would write
        # False (1-D, size-1 dims): the header is still valid.
        b = make_npy(arr, byteorder=bo, fortran=True, version=version)
    ref = np_load(b)
    # The reference itself must hold our array (tests the helpers).
    assert array_mismatch(native_c(ref), arr, strict_bool=False) is None
    got = decode(b, tf_dtype(dt))
    assert_same_array(got, ref)


# Byte-order prefixes numpy accepts but never writes for these types:
# '=', '|' and none for every type; '<' and '>' for one-byte types.
def _spelling_params():
    for dt in SUPPORTED_DTYPES:
        prefixes = ["=", "|", ""]
        if np.dtype(dt).itemsize == 1:
            prefixes += ["<", ">"]
        for bo in prefixes:
            for layout in ("C", "F"):
                for sid in ("scalar", "3x0x2", "2x3", "3x1x4"):
                    name = {"=": "eq", "|": "bar", "": "none", "<": "le",
                            ">": "be"}[bo]
                    yield pytest.param(dt, bo, layout, SHAPES[sid],
                                       id=f"{dt}-{name}-{layout}-{sid}")


@pytest.mark.parametrize("dt,bo,layout,shape", list(_spelling_params()))
def test_byte_order_spellings(dt, bo, layout, shape):
    arr = sample_array(dt, shape, seed=7)
    b = make_npy(arr, byteorder=bo, fortran=layout == "F", version=(1, 0))
    ref = np_load(b)
    assert array_mismatch(native_c(ref), arr, strict_bool=False) is None
    assert_same_array(decode(b, tf_dtype(dt)), ref)


# ----------------------------------------------------------------------------
# Hypothesis: random arrays through numpy's writer.

_hyp_dtypes = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(endianness="?"),
    hnp.unsigned_integer_dtypes(endianness="?"),
    hnp.floating_dtypes(endianness="?", sizes=(16, 32, 64)),
    hnp.complex_number_dtypes(endianness="?", sizes=(64, 128)),
)


@st.composite
def _npy_cases(draw):
    dt = draw(_hyp_dtypes)
    arr = draw(hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=4,
                                               min_side=0, max_side=5)))
    layout = draw(st.sampled_from(["C", "F"]))
    if layout == "F":
        arr = np.asfortranarray(arr)
    version = draw(st.sampled_from(list(VERSIONS.values())))
    trailing = draw(st.binary(max_size=8))
    return arr, version, trailing


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(_npy_cases())
def test_hypothesis_arrays(case):
    arr, version, trailing = case
    b = numpy_npy(arr, version) + trailing
    ref = np_load(b)
    got = decode(b, tf_dtype(arr.dtype))
    assert_same_array(got, ref, f"{arr.dtype.str} {arr.shape} {version}")


# ----------------------------------------------------------------------------
# Hand-written headers: every variant must be read by np.load and by us.

A23 = sample_array("float64", (2, 3), seed=3)
A10 = sample_array("int32", (10,), seed=4)


def _v(arr, version=(1, 0), **kw):
    return (arr, version, kw)


HEADER_VARIANTS = {
    "numpy-style": _v(A23),
    "keys-shape-descr-fortran": _v(A23, order=("shape", "descr",
                                               "fortran_order")),
    "keys-fortran-shape-descr": _v(A23, order=("fortran_order", "shape",
                                               "descr")),
    "no-spaces": _v(A23, sep=",", colon=":"),
    "no-trailing-comma": _v(A23, trailing_comma=False),
    "no-spaces-no-trailing-comma": _v(A23, sep=",", colon=":",
                                      trailing_comma=False),
    "double-quotes": _v(A23, quote='"'),
    "double-quotes-v3": _v(A23, (3, 0), quote='"'),
    "align-16-numpy-pre-1.14": _v(A23, align=16),
    "align-16-v2": _v(A23, (2, 0), align=16),
    "no-padding": _v(A23, align=0),
    "no-newline": _v(A23, align=0, terminator=""),
    "padding-no-newline": _v(A23, terminator=""),
    "crlf": _v(A23, terminator="\r\n"),
    "extra-spaces": _v(A23, header=(
        "{ 'descr' : '<f8' , 'fortran_order' : False , "
        "'shape' : ( 2 , 3 ) , }")),
    "newlines-inside": _v(A23, header=(
        "{'descr': '<f8',\n 'fortran_order': False,\n 'shape': (2, 3)\n}")),
    "tabs": _v(A23, header=(
        "{'descr':\t'<f8',\t'fortran_order':\tFalse,\t'shape':\t(2,\t3)}")),
    "py2-L-suffix-v1": _v(A23, shape_text="(2L, 3L)"),
    "py2-L-suffix-v2": _v(A23, (2, 0), shape_text="(2L, 3L)"),
    "py2-L-suffix-1d": _v(A10, shape_text="(10L,)"),
    "py2-u-prefix-and-L": _v(A23, header=(
        "{u'descr': u'<f8', u'fortran_order': False, u'shape': (2L, 3L)}")),
    "shape-nested-parens": _v(A23, shape_text="((2, 3))"),
    "shape-trailing-comma": _v(A23, shape_text="(2, 3,)"),
    "shape-hex-octal": _v(A23, shape_text="(0x2, 0o3)"),
    "shape-binary": _v(A10, shape_text="(0b1010,)"),
    "shape-underscore": _v(A10, shape_text="(1_0,)"),
    "shape-unary-plus": _v(A23, shape_text="(+2, 3)"),
    "descr-hex-escape": _v(A23, descr_text="'\\x3cf8'"),
    "descr-concatenated": _v(A23, descr_text="'<' 'f8'"),
    "descr-triple-quoted": _v(A23, descr_text="'''<f8'''"),
    "fortran-true-1d": _v(A10, fortran=True),
    "fortran-true-scalar": _v(sample_array("float32", (), 1), fortran=True),
    "trailing-bytes": _v(A23, trailing=b"trailing garbage\x00\xff"),
    "trailing-bytes-v3": _v(A23, (3, 0), trailing=b"\x93NUMPY\x01\x00"),
}


@pytest.mark.parametrize("case", list(HEADER_VARIANTS.values()),
                         ids=list(HEADER_VARIANTS))
def test_header_variants(case):
    arr, version, kw = case
    kw = dict(kw)
    header = kw.pop("header", None)
    align = kw.pop("align", 64)
    terminator = kw.pop("terminator", "\n")
    fortran = kw.pop("fortran", False)
    trailing = kw.pop("trailing", b"")
    text = header if header is not None else dict_text(
        np.dtype(arr.dtype).str, fortran, arr.shape, **kw)
    b = build_npy(text, raw_data(arr, "<", fortran) + trailing,
                  version=version, align=align, terminator=terminator)
    ref = check_parity(b, context=repr(text))
    assert array_mismatch(native_c(ref), arr, strict_bool=False) is None


# descr spellings numpy accepts (np.dtype(descr)), with data in the byte order
# the spelling means.
DESCR_SPELLINGS = [
    "f8", "=f8", "|f8", "d", "<d", ">d", "<i", ">i", "float64", "?", "b1",
    "<b1", ">b1", "|b1", "=?", ">?", "i", "l", "q", "p", "P", "int", "float",
    "long", "ulong", "half", "single", "double", "e", "f", "F", "D", "B", "b",
    "h", "H", "I", "L", "Q", "u1", "<u1", ">i1", ">u1", "|i2", "=i2", ">c16",
    "complex", "complex64", "complex128", "csingle", "cdouble", "intp",
    "uintp", "byte", "ubyte", "short", "ushort", "intc", "uintc", "longlong",
    "ulonglong", "bool", "bool_", "int8", "int16", "int32", "int64", "uint8",
    "uint16", "uint32", "uint64", "float16", "float32",
]


@pytest.mark.parametrize("descr", DESCR_SPELLINGS)
def test_descr_spellings(descr):
    dt = np.dtype(descr)
    arr = sample_array(dt.name, (2, 3), seed=5)
    bo = dt.byteorder if dt.byteorder in "<>" else "="
    b = build_npy(dict_text(descr, False, arr.shape), raw_data(arr, bo))
    ref = check_parity(b, context=descr)
    assert array_mismatch(native_c(ref), arr, strict_bool=False) is None


@pytest.mark.parametrize("dt", SUPPORTED_DTYPES)
@pytest.mark.parametrize("layout", ["C", "F"])
def test_unaligned_data(dt, layout):
    # No padding, and an odd data offset: the data is misaligned for every
    # multi-byte type (np.load copes; so must we).
    arr = sample_array(dt, (3, 5), seed=13)
    fortran = layout == "F"
    text = dict_text(descr_of(dt), fortran, arr.shape)
    if (10 + len(text) + 1) % 2 == 0:
        text += " "
    b = build_npy(text, raw_data(arr, "<", fortran), align=0)
    assert header_bytes(b)[0] % 2 == 1
    ref = check_parity(b)
    assert array_mismatch(native_c(ref), arr, strict_bool=False) is None


@pytest.mark.parametrize("shape", [(0, 2**40), (2**31, 0, 3), (0,) * 10],
                         ids=["0x2^40", "2^31x0x3", "ten-zeros"])
def test_empty_with_large_dims(shape):
    # Zero elements, however large the other dimensions.
    b = build_npy(dict_text("<f8", False, shape), b"")
    ref = check_parity(b)
    assert ref.shape == shape


def test_bool_bytes_normalised():
    raw = bytes([0, 1, 2, 255, 0x80, 0])
    b = build_npy(dict_text("|b1", False, (6,)), raw)
    got = decode(b, tf.bool)
    assert got.dtype == np.bool_
    assert got.view(np.uint8).tolist() == [0, 1, 1, 1, 1, 0]
    assert got.tolist() == np_load(b).tolist()


def test_large_header_v2():
    # A version 2.0 header longer than version 1.0 can describe (> 65535).
    arr = sample_array("float32", (4, 5), seed=9)
    text = dict_text("<f4", False, arr.shape) + " " * 70000
    b = build_npy(text, raw_data(arr), version=(2, 0))
    ref = np_load(b, max_header_size=200000)
    got = decode(b, tf.float32, max_header_size=200000)
    assert_same_array(got, ref)


# ----------------------------------------------------------------------------
# The dtype argument.

F32 = sample_array("float32", (3, 4), seed=11)
F32_NPY = numpy_npy(F32)


@pytest.mark.parametrize(
    "dtype", [tf.float32, np.float32, np.dtype("float32"), "float32"],
    ids=["tf.float32", "np.float32", "np.dtype", "str"])
def test_dtype_argument_forms(dtype):
    got = tfnpy.decode_npy(tf.constant(F32_NPY), dtype)
    assert got.dtype == tf.float32
    assert_same_array(got.numpy(), F32)


@pytest.mark.parametrize("dt", SUPPORTED_DTYPES)
def test_dtype_argument_string_every_type(dt):
    arr = sample_array(dt, (3,), seed=2)
    got = decode(numpy_npy(arr), dt)
    assert_same_array(got, np_load(numpy_npy(arr)))


def test_python_bytes_contents():
    got = tfnpy.decode_npy(F32_NPY, tf.float32)
    assert_same_array(got.numpy(), F32)


def test_shape_argument_eager():
    got = tfnpy.decode_npy(tf.constant(F32_NPY), tf.float32, shape=[3, 4])
    assert got.shape.as_list() == [3, 4]
    got = tfnpy.decode_npy(tf.constant(F32_NPY), tf.float32,
                           shape=tf.TensorShape([None, 4]))
    assert_same_array(got.numpy(), F32)
    got = tfnpy.decode_npy(tf.constant(F32_NPY), tf.float32,
                           shape=[None, None])
    assert_same_array(got.numpy(), F32)


# ----------------------------------------------------------------------------
# Batched input: a 1-D tensor of N files gives [N, *shape].


def _batch_files(dt="float64", shape=(2, 3), n=5):
    arrs = [sample_array(dt, shape, seed=100 + i) for i in range(n)]
    files = []
    for i, a in enumerate(arrs):
        # Mix versions, byte orders, C/F and trailing bytes within one batch.
        bo = "<" if i % 2 == 0 else ">"
        version = list(VERSIONS.values())[i % 3]
        files.append(make_npy(a, byteorder=bo, fortran=i % 4 == 1,
                              version=version, trailing=b"x" * (i % 3)))
    return arrs, files


@pytest.mark.parametrize("dt", SUPPORTED_DTYPES)
def test_batched_equals_stack(dt):
    arrs, files = _batch_files(dt)
    want = np.stack([native_c(np_load(b)) for b in files])
    got = decode(files, dt)
    assert_same_array(got, want)


def test_batched_scalars():
    files = [numpy_npy(np.float32(i)) for i in range(4)]
    got = decode(files, tf.float32)
    assert got.shape == (4,)
    assert got.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_batched_single_element():
    got = decode([F32_NPY], tf.float32)
    assert_same_array(got, F32[None])


def test_batched_empty_with_shape():
    got = tfnpy.decode_npy(tf.constant([], dtype=tf.string), tf.float32,
                           shape=[2, 3])
    assert got.dtype == tf.float32
    assert got.shape.as_list() == [0, 2, 3]


def test_batched_shape_mismatch_names_element():
    a = numpy_npy(np.zeros((2, 3), np.float64))
    b = numpy_npy(np.zeros((3, 2), np.float64))
    files = [a, a, a, b, a, b]
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        decode(files, tf.float64)
    msg = e.value.message
    assert "element 3" in msg, msg
    assert "(2, 3)" in msg and "(3, 2)" in msg, msg


def test_batched_rank_mismatch_names_element():
    a = numpy_npy(np.zeros((2, 3), np.float64))
    b = numpy_npy(np.zeros((6,), np.float64))
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        decode([a, a, a, b], tf.float64)
    msg = e.value.message
    assert "element 3" in msg and "(2, 3)" in msg and "(6,)" in msg, msg


def test_batched_dtype_mismatch_names_element():
    a = numpy_npy(np.zeros((2, 3), np.float64))
    b = numpy_npy(np.zeros((2, 3), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        decode([a, a, a, b, a], tf.float64)
    msg = e.value.message
    assert "element 3" in msg, msg
    assert "float32" in msg and "float64" in msg, msg


# ----------------------------------------------------------------------------
# Graph mode.

A53 = sample_array("float32", (5, 3), seed=21)
A53_NPY = numpy_npy(A53, (2, 0))


@pytest.mark.parametrize(
    "shape,static",
    [([None, 3], [None, 3]), ([5, 3], [5, 3]), ([None, None], [None, None]),
     (tf.TensorShape([None, 3]), [None, 3])],
    ids=["None-3", "5-3", "None-None", "TensorShape"])
def test_tf_function_static_shape(shape, static):
    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def f(s):
        return tfnpy.decode_npy(s, tf.float32, shape=shape)

    cf = f.get_concrete_function()
    assert cf.outputs[0].shape.as_list() == static
    assert cf.outputs[0].dtype == tf.float32
    assert_same_array(f(tf.constant(A53_NPY)).numpy(), A53)


def test_tf_function_batched_static_shape():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def f(s):
        return tfnpy.decode_npy(s, tf.float32, shape=[None, 3])

    cf = f.get_concrete_function()
    assert cf.outputs[0].shape.as_list() == [None, None, 3]
    files = [A53_NPY, numpy_npy(A53[::-1].copy()), make_npy(A53, fortran=True)]
    got = f(tf.constant(files)).numpy()
    assert_same_array(got, np.stack([A53, A53[::-1], A53]))


def test_tf_function_scalar_shape():
    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def f(s):
        return tfnpy.decode_npy(s, "int64", shape=[])

    assert f.get_concrete_function().outputs[0].shape.as_list() == []
    assert f(tf.constant(numpy_npy(np.int64(-7)))).numpy() == -7


def test_tf_function_shape_mismatch_at_runtime():
    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def f(s):
        return tfnpy.decode_npy(s, tf.float32, shape=[None, 4])

    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        f(tf.constant(A53_NPY))
    assert "file has shape (5, 3), expected (None, 4)" in e.value.message


def test_op_type_in_graph():
    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def f(s):
        return tfnpy.decode_npy(s, tf.float32, name="my_decode")

    ops = f.get_concrete_function().graph.get_operations()
    types = [op.type for op in ops]
    assert "TFNpy>DecodeNpy" in types, types
    (op,) = [op for op in ops if op.type == "TFNpy>DecodeNpy"]
    assert "my_decode" in op.name


def test_tf_data_pipeline():
    arrs = [sample_array("float32", (4, 3), seed=30 + i) for i in range(12)]
    files = [make_npy(a, byteorder="<>"[i % 2], fortran=i % 3 == 0,
                      version=list(VERSIONS.values())[i % 3])
             for i, a in enumerate(arrs)]
    ds = tf.data.Dataset.from_tensor_slices(files).map(
        lambda s: tfnpy.decode_npy(s, tf.float32, shape=[None, 3]),
        num_parallel_calls=4)
    assert ds.element_spec.shape.as_list() == [None, 3]
    got = [t.numpy() for t in ds]
    assert len(got) == len(arrs)
    for i, (g, a) in enumerate(zip(got, arrs)):
        assert_same_array(g, a, f"element {i}")


def test_tf_data_pipeline_batched():
    arrs = [sample_array("int16", (2, 2), seed=40 + i) for i in range(8)]
    files = [numpy_npy(a) for a in arrs]
    ds = tf.data.Dataset.from_tensor_slices(files).batch(4).map(
        lambda s: tfnpy.decode_npy(s, tf.int16, shape=[2, 2]),
        num_parallel_calls=4)
    assert ds.element_spec.shape.as_list() == [None, 2, 2]
    got = np.concatenate([t.numpy() for t in ds])
    assert_same_array(got, np.stack(arrs))


def test_tf_data_pipeline_error():
    files = [A53_NPY, A53_NPY[:-1], A53_NPY]
    ds = tf.data.Dataset.from_tensor_slices(files).map(
        lambda s: tfnpy.decode_npy(s, tf.float32), num_parallel_calls=4)
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        list(ds)
    assert "data truncated" in e.value.message


# ----------------------------------------------------------------------------
# Gradient: registered as not differentiable.


def test_no_gradient():
    from tensorflow.python.framework import ops as tf_ops

    c = tf.constant(F32_NPY)
    with tf.GradientTape() as tape:
        tape.watch(c)
        y = tfnpy.decode_npy(c, tf.float32)
        z = tf.reduce_sum(y * 2.0)
    assert tape.gradient(z, c) is None

    # The tape result above is None for any op with string inputs; what makes
    # it None *without an error* in graph code is the registration.
    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def f(s):
        return tfnpy.decode_npy(s, tf.float32)

    ops = f.get_concrete_function().graph.get_operations()
    (op,) = [op for op in ops if op.type == "TFNpy>DecodeNpy"]
    assert tf_ops.get_gradient_function(op) is None  # LookupError if missing
