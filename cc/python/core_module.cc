// pybind11 module over the framework-free core: header inspection and a
// GIL-free decode into a numpy array. No TensorFlow here.
#include <Python.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "npy/npy_format.h"

namespace py = pybind11;

namespace tfnpy {
namespace {

// A contiguous read-only view of any bytes-like object, released on exit.
class Bytes {
 public:
  explicit Bytes(const py::object& obj) {
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_SIMPLE) != 0) {
      throw py::error_already_set();
    }
  }
  ~Bytes() { PyBuffer_Release(&view_); }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  const char* data() const { return static_cast<const char*>(view_.buf); }
  size_t size() const { return static_cast<size_t>(view_.len); }

 private:
  Py_buffer view_;
};

void Check(const Status& s) {
  if (!s.ok()) throw py::value_error(s.message());
}

Limits MakeLimits(int64_t max_header_size) {
  if (max_header_size < 0) throw py::value_error("max_header_size must be >= 0");
  Limits limits;
  limits.max_header_size = static_cast<uint64_t>(max_header_size);
  return limits;
}

py::tuple Shape(const Header& h) {
  py::tuple t(h.ndims);
  for (int i = 0; i < h.ndims; ++i) t[i] = py::int_(h.dims[i]);
  return t;
}

// The numpy dtype string of the file's data: byte order as stored.
std::string FileDescr(const Header& h) {
  std::string d = DTypeDescr(h.dtype);
  if (d[0] == '<' && h.swap) d[0] = '>';
  return d;
}

// Native-order descr for the arrays we return.
std::string NativeDescr(DType dtype) {
  std::string d = DTypeDescr(dtype);
  if (d[0] == '<') d[0] = '=';
  return d;
}

py::dict HeaderDict(const Header& h) {
  py::dict d;
  d["descr"] = FileDescr(h);
  d["shape"] = Shape(h);
  d["fortran_order"] = h.fortran_order;
  d["version"] = py::make_tuple(h.preamble.major, h.preamble.minor);
  d["data_offset"] = h.data_offset;
  d["data_bytes"] = h.data_bytes;
  return d;
}

// How many bytes from the start of a file hold its preamble and header.
uint64_t HeaderSize(const py::object& prefix, int64_t max_header_size) {
  Bytes b(prefix);
  Preamble p;
  Check(ParsePreamble(b.data(), b.size(), MakeLimits(max_header_size), &p));
  return p.data_offset;
}

py::dict ParseHeaderDict(const py::object& data, int64_t max_header_size) {
  Bytes b(data);
  Header h;
  Check(ParseHeader(b.data(), b.size(), MakeLimits(max_header_size), &h));
  return HeaderDict(h);
}

py::array Loads(const py::object& data, int64_t max_header_size) {
  Bytes b(data);
  MemorySource source(b.data(), b.size());
  NpyReader reader;
  Selection sel;
  Check(reader.Open(&source, MakeLimits(max_header_size)));
  Check(reader.Select(Region(), &sel));
  const Header& h = sel.array;
  std::vector<py::ssize_t> shape(h.dims, h.dims + h.ndims);
  py::array out(py::dtype(NativeDescr(h.dtype)), shape);
  Status s;
  {
    py::gil_scoped_release release;
    s = reader.ReadInto(sel, out.mutable_data(), h.data_bytes);
  }
  Check(s);
  return out;
}

// numpy's names of the dtypes the core reads, in the table's order.
py::tuple DTypeNames() {
  py::tuple names(kNumDTypes);
  for (int i = 0; i < kNumDTypes; ++i) names[i] = DTypeName(static_cast<DType>(i));
  return names;
}

}  // namespace
}  // namespace tfnpy

PYBIND11_MODULE(_tfnpy_core, m) {
  m.doc() = "Framework-free .npy core of tfnpy (no TensorFlow).";
  m.def("header_size", &tfnpy::HeaderSize, py::arg("prefix"),
        py::arg("max_header_size") = 10000,
        "Bytes of preamble + header, from at least the first 12 bytes.");
  m.def("parse_header", &tfnpy::ParseHeaderDict, py::arg("data"),
        py::arg("max_header_size") = 10000,
        "Parses the header from bytes holding at least preamble + header.");
  m.def("loads", &tfnpy::Loads, py::arg("data"),
        py::arg("max_header_size") = 10000,
        "Decodes a complete .npy file from bytes into a new array.");
  m.attr("MAX_PREAMBLE_SIZE") = tfnpy::kMaxPreambleSize;
  m.attr("DTYPES") = tfnpy::DTypeNames();
}
