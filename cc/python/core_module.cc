// pybind11 module over the framework-free core: header inspection and a
// GIL-free decode into a numpy array. No TensorFlow here.
#include <Python.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <string>
#include <vector>

#include "npy/npy_format.h"
#include "npy/zip.h"

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

// A failed allocation is MemoryError (as numpy's), naming `op`; anything
// else ValueError.
void Check(const Status& s, const char* op = "") {
  if (s.ok()) return;
  if (s.code() == Code::kOutOfMemory) {
    PyErr_SetString(PyExc_MemoryError, (op + s.message()).c_str());
    throw py::error_already_set();
  }
  throw py::value_error(s.message());
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

// The numpy dtype string of the file's data: byte order as stored ("|V2"
// for V, which numpy gives no byte order).
std::string FileDescr(const Header& h) {
  std::string d = DTypeDescr(h.dtype, h.itemsize);
  if (d[0] == '<' && h.swap) d[0] = '>';
  return d;
}

// Native-order descr for the arrays we return: S, U and V arrays as numpy
// holds them (np.load gives V2 for an ml_dtypes.bfloat16 file too).
std::string NativeDescr(const Header& h) {
  std::string d = DTypeDescr(h.dtype, h.itemsize);
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
  Check(reader.Open(&source, MakeLimits(max_header_size)), "loads: ");
  Check(reader.Select(Region(), &sel));
  const Header& h = sel.array;
  std::vector<py::ssize_t> shape(h.dims, h.dims + h.ndims);
  py::array out;
  try {
    out = py::array(py::dtype(NativeDescr(h)), shape);
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_MemoryError)) throw;
    Check(OutOfMemory(h.data_bytes, "the array"), "loads: ");
  }
  Status s;
  {
    py::gil_scoped_release release;
    s = reader.ReadInto(sel, out.mutable_data(), h.data_bytes);
  }
  Check(s, "loads: ");
  return out;
}

// A Python callable read(offset, n) -> bytes (a file object's seek + read)
// as a byte source; its size is given.
class CallableSource final : public ByteSource {
 public:
  CallableSource(py::object read, uint64_t size) : read_(std::move(read)), size_(size) {}
  Status Read(uint64_t offset, size_t n, char* dst, size_t* got) override {
    *got = 0;
    py::object r = read_(offset, n);
    Bytes b(r);
    if (b.size() > n) return Status(Code::kReadFailed, "read returned more bytes than asked for");
    std::memcpy(dst, b.data(), b.size());
    *got = b.size();
    return Status::Ok();
  }
  bool Size(uint64_t* size) override {
    *size = size_;
    return true;
  }

 private:
  py::object read_;
  uint64_t size_;
};

// The members of an .npz archive: name, key, compression, sizes, and each
// .npy member's header (or why it has none). Reads the directory and each
// member's first bytes only (a deflated member inflates its header alone).
py::list NpzMembers(ByteSource* source, int64_t max_header_size) {
  const Limits limits = MakeLimits(max_header_size);
  ZipArchive zip;
  Check(zip.Open(source), "inspect: ");
  py::list out;
  for (const ZipEntry& e : zip.entries()) {
    py::dict d;
    d["name"] = py::bytes(e.name).attr("decode")("utf-8", "replace");
    d["key"] = py::bytes(e.key()).attr("decode")("utf-8", "replace");
    d["compression"] = ZipMethodName(e.method);
    d["compressed_size"] = e.compressed_size;
    d["size"] = e.size;
    d["directory"] = e.directory();
    d["header"] = py::none();
    d["error"] = py::none();
    if (!e.directory()) {
      ZipMember member;
      Status s = zip.OpenMember(e, &member);
      NpyReader reader;
      if (s.ok()) s = reader.Open(&member, limits);
      if (s.ok()) {
        d["header"] = HeaderDict(reader.header());
      } else {
        d["error"] = s.message();
      }
    }
    out.append(d);
  }
  return out;
}

py::list NpzMembersOfBytes(const py::object& data, int64_t max_header_size) {
  Bytes b(data);
  MemorySource source(b.data(), b.size());
  return NpzMembers(&source, max_header_size);
}

py::list NpzMembersOfFile(const py::object& read, uint64_t size, int64_t max_header_size) {
  CallableSource source(read, size);
  return NpzMembers(&source, max_header_size);
}

// The tensor types the core reads, in the tables' order, by the names
// tf.as_dtype takes: numpy's for numbers, "string", ml_dtypes' names.
py::tuple DTypeNames() {
  DType types[kNumDTypes];
  const int n = TensorDTypes(types);
  py::tuple names(n);
  for (int i = 0; i < n; ++i) names[i] = Info(types[i]).tensor;
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
  m.def("npz_members", &tfnpy::NpzMembersOfBytes, py::arg("data"), py::arg("max_header_size") = 10000,
        "The members of an .npz archive held in bytes, with their .npy headers.");
  m.def("npz_members_of_file", &tfnpy::NpzMembersOfFile, py::arg("read"), py::arg("size"),
        py::arg("max_header_size") = 10000,
        "The members of an .npz archive read through read(offset, n) -> bytes.");
  m.attr("MAX_PREAMBLE_SIZE") = tfnpy::kMaxPreambleSize;
  m.attr("DTYPES") = tfnpy::DTypeNames();
}
