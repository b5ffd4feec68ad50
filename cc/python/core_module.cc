// pybind11 module over the framework-free core: header inspection and a
// GIL-free decode into a numpy array. No TensorFlow here.
#include <Python.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "npy/file.h"
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

// ---------------------------------------------------------------------------
// Checking many files at once (tfnpy check): each file opened, its header
// (with `full`, its data and an .npz member's CRC-32) read as the readers do,
// and its dtype and shape compared with what the first row's file holds.

// Why a file fails a check, from the most to the least basic.
enum class Trouble { kNone, kMissing, kUnreadable, kMalformed, kMismatch };

const char* TroubleName(Trouble t) {
  switch (t) {
    case Trouble::kNone:
      return "ok";
    case Trouble::kMissing:
      return "missing";
    case Trouble::kUnreadable:
      return "unreadable";
    case Trouble::kMalformed:
      return "malformed";
    case Trouble::kMismatch:
      return "mismatch";
  }
  return "?";
}

// What a bad core status says about the file.
Trouble TroubleOf(const Status& s) {
  switch (s.code()) {
    case Code::kReadFailed:
    case Code::kDataLoss:
    case Code::kTooLarge:
      return Trouble::kUnreadable;
    case Code::kNoMember:
      return Trouble::kMismatch;
    default:
      return Trouble::kMalformed;
  }
}

// The dtype and shape every file of one path column (and key) must have.
struct Expected {
  std::string descr;  // As the first file's header gives it, for messages.
  DType dtype = DType::kBool;
  uint64_t itemsize = 0;
  std::vector<int64_t> dims;
};

struct CheckSpec {
  std::vector<std::string> keys;  // .npz members to check; empty: .npy files.
  bool full = false;              // Read the data too (and check CRCs).
  Limits limits;
  size_t columns = 1;             // Path columns: file i is column i % columns.
  // One per (column, key), in that order; empty: nothing to compare with.
  std::vector<Expected> expect;
};

struct Finding {
  Trouble trouble = Trouble::kNone;
  std::string message;
  void Add(Trouble t, const std::string& m) {
    if (trouble == Trouble::kNone || t < trouble) trouble = t;
    message += message.empty() ? m : "; " + m;
  }
};

// "" if an array of header `h` reads like the first row's, else how it differs
// (read_npy's words): the same dtype, ignoring byte order (any S or U for
// strings, a V of the same size for raw bytes), and the same shape.
std::string Disagreement(const Header& h, const Expected& e) {
  Status s;
  if (IsString(e.dtype)) {
    s = CheckDtype(h, DType::kBytes);
  } else if (e.dtype == DType::kVoid) {
    if (h.dtype != DType::kVoid || h.itemsize != e.itemsize) {
      s = Status(Code::kBadArgument, "file holds " + DescribeDtype(h) + ", expected " + e.descr);
    }
  } else {
    s = CheckDtype(h, e.dtype);
  }
  std::string out = s.message();
  const bool same_shape = static_cast<size_t>(h.ndims) == e.dims.size() &&
                          std::equal(e.dims.begin(), e.dims.end(), h.dims);
  if (!same_shape) {
    if (!out.empty()) out += "; ";
    out += "file has shape " + ShapeString(h.dims, h.ndims) + ", expected " +
           ShapeString(e.dims.data(), static_cast<int>(e.dims.size()));
  }
  return out;
}

// Memory a thread reads whole arrays into, kept between files.
class Scratch {
 public:
  // n bytes, or nullptr if they cannot be had.
  char* Get(uint64_t n) {
    if (n > size_) {
      data_.reset();
      size_ = 0;
      data_.reset(NewBytes(n));  // nullptr when memory runs out
      if (data_ == nullptr) return nullptr;
      size_ = n;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<char[]> data_;
  uint64_t size_ = 0;
};

class NoStrings final : public StringSink {
 public:
  Status Put(uint64_t, const char*, size_t) override { return Status::Ok(); }
};

// Reads the whole array as read_npy would (a U array's characters checked
// too), into scratch memory.
Status ReadWhole(NpyReader* reader, Scratch* scratch) {
  Selection sel;
  TFNPY_RETURN_IF_ERROR(reader->Select(Region(), &sel));
  const uint64_t n = sel.array.data_bytes;
  char* buf = scratch->Get(n);
  if (buf == nullptr) {
    return Status(Code::kTooLarge, "cannot allocate " + std::to_string(n) + " bytes to read the data");
  }
  TFNPY_RETURN_IF_ERROR(reader->ReadInto(sel, buf, static_cast<size_t>(n)));
  if (!IsString(sel.array.dtype)) return Status::Ok();
  NoStrings sink;
  return ForEachString(sel, buf, static_cast<size_t>(n), &sink);
}

bool StartsWith(ByteSource* source, const char* magic, size_t n) {
  char head[8];
  size_t got = 0;
  return source->Read(0, n, head, &got).ok() && got == n && std::memcmp(head, magic, n) == 0;
}

// One array (a .npy file or an .npz member) opened by `reader`: compared with
// `expect` (if any), read whole with `full`.
void CheckArray(NpyReader* reader, const CheckSpec& spec, const Expected* expect, const std::string& what,
                Scratch* scratch, Finding* f) {
  if (expect != nullptr) {
    const std::string d = Disagreement(reader->header(), *expect);
    if (!d.empty()) f->Add(Trouble::kMismatch, what + d);
  }
  if (spec.full) {
    const Status s = ReadWhole(reader, scratch);
    if (!s.ok()) f->Add(TroubleOf(s), what + s.message());
  }
}

// Checks one file of path column `column` as read_npy (or, with keys,
// read_npz) would read it.
Finding CheckSource(ByteSource* source, const CheckSpec& spec, size_t column, Scratch* scratch) {
  Finding f;
  const size_t per_column = spec.keys.empty() ? 1 : spec.keys.size();
  const Expected* expect = spec.expect.empty() ? nullptr : &spec.expect[column * per_column];
  if (spec.keys.empty()) {
    NpyReader reader;
    const Status s = reader.Open(source, spec.limits);
    if (s.code() == Code::kBadMagic && StartsWith(source, "PK\x03\x04", 4)) {
      ZipArchive zip;
      const bool listed = zip.Open(source).ok();
      f.Add(Trouble::kMismatch, "an .npz archive: name its members with --keys" +
                                    (listed ? " (its members: " + zip.Keys() + ")" : std::string()));
    } else if (!s.ok()) {
      f.Add(TroubleOf(s), s.message());
    } else {
      CheckArray(&reader, spec, expect, "", scratch, &f);
    }
    return f;
  }
  ZipArchive zip;
  const Status s = zip.Open(source);
  if (!s.ok()) {
    if (s.code() == Code::kNotZip && StartsWith(source, "\x93NUMPY", 6)) {
      f.Add(Trouble::kMismatch, "a .npy file, not an .npz archive (--keys was given)");
    } else {
      f.Add(TroubleOf(s), s.message());
    }
    return f;
  }
  for (size_t k = 0; k < spec.keys.size(); ++k) {
    const ZipEntry* entry = nullptr;
    Status m = zip.Find(spec.keys[k], &entry);
    if (!m.ok()) {  // The message names the key and lists the members.
      f.Add(TroubleOf(m), m.message());
      continue;
    }
    const std::string what = "member '" + spec.keys[k] + "': ";
    ZipMember member;
    NpyReader reader;
    m = zip.OpenMember(*entry, &member, /*verify_crc=*/true);
    if (m.ok()) m = reader.Open(&member, spec.limits);
    if (!m.ok()) {
      f.Add(TroubleOf(m), what + m.message());
      continue;
    }
    Finding member_finding;
    CheckArray(&reader, spec, expect == nullptr ? nullptr : expect + k, what, scratch, &member_finding);
    if (spec.full && member_finding.trouble == Trouble::kNone) {
      m = member.Verify();
      if (!m.ok()) member_finding.Add(TroubleOf(m), what + m.message());
    }
    if (member_finding.trouble != Trouble::kNone) f.Add(member_finding.trouble, member_finding.message);
  }
  return f;
}

// A local path (its bytes, NUL-terminated) opened and checked.
Finding CheckPath(const char* path, size_t n, const CheckSpec& spec, size_t column, Scratch* scratch) {
  Finding f;
  if (std::strlen(path) != n) {
    f.Add(Trouble::kUnreadable, "the path contains a NUL byte at offset " + std::to_string(std::strlen(path)));
    return f;
  }
  PosixFile file;
  const Status s = file.Open(path);
  if (!s.ok()) {
    f.Add(file.error() == ENOENT ? Trouble::kMissing : Trouble::kUnreadable, s.message());
    return f;
  }
  return CheckSource(&file, spec, column, scratch);
}

class Checker {
 public:
  Checker(const py::object& keys, bool full, const py::object& expect, size_t columns, int64_t max_header_size) {
    spec_.limits = MakeLimits(max_header_size);
    spec_.full = full;
    if (columns < 1) throw py::value_error("columns must be >= 1");
    spec_.columns = columns;
    if (!keys.is_none()) {
      for (const py::handle k : keys) spec_.keys.push_back(py::cast<std::string>(k));
      if (spec_.keys.empty()) throw py::value_error("keys is empty");
    }
    if (expect.is_none()) return;
    for (const py::handle item : expect) {
      const py::sequence pair = py::reinterpret_borrow<py::sequence>(item);
      if (!py::isinstance<py::sequence>(item) || pair.size() != 2) {
        throw py::value_error("expect holds (descr, shape) pairs");
      }
      Expected e;
      e.descr = py::cast<std::string>(pair[0]);
      for (const py::handle d : pair[1]) e.dims.push_back(py::cast<int64_t>(d));
      bool swap = false;
      if (ParseDescr(e.descr.data(), e.descr.size(), &e.dtype, &e.itemsize, &swap) != DescrResult::kOk) {
        throw py::value_error("expected dtype '" + e.descr + "' is not one tfnpy reads");
      }
      if (e.dims.size() > static_cast<size_t>(kMaxDims)) throw py::value_error("expected shape has too many dims");
      spec_.expect.push_back(std::move(e));
    }
    const size_t per_column = spec_.keys.empty() ? 1 : spec_.keys.size();
    if (spec_.expect.size() != columns * per_column) {
      throw py::value_error("expect needs one (descr, shape) per path column and key: " +
                            std::to_string(columns * per_column) + ", got " + std::to_string(spec_.expect.size()));
    }
  }

  // Checks local files (a list of bytes; file i is of column i % columns) on
  // `threads` threads with the GIL released. Returns (i, trouble, message)
  // for each file that fails, in order.
  py::list CheckPaths(const py::list& paths, int threads) {
    // The paths' bytes, each NUL-terminated, copied while the GIL is held.
    std::string blob;
    std::vector<std::pair<size_t, size_t>> spans;  // (offset, length) in blob
    spans.reserve(paths.size());
    for (const py::handle p : paths) {
      char* data = nullptr;
      Py_ssize_t n = 0;
      if (PyBytes_AsStringAndSize(p.ptr(), &data, &n) != 0) throw py::error_already_set();
      spans.emplace_back(blob.size(), static_cast<size_t>(n));
      blob.append(data, static_cast<size_t>(n));
      blob.push_back('\0');
    }
    std::vector<std::tuple<size_t, Trouble, std::string>> found;
    {
      py::gil_scoped_release release;
      found = RunThreads(blob, spans, threads < 1 ? 1 : threads);
    }
    py::list out;
    for (const auto& [i, trouble, message] : found) {
      out.append(py::make_tuple(i, TroubleName(trouble), py::bytes(message).attr("decode")("utf-8", "replace")));
    }
    return out;
  }

  // Checks one file of path column `column` read through read(offset, n) ->
  // bytes (any file system; the GIL stays held). None if it is fine, else
  // (trouble, message).
  py::object CheckReader(const py::object& read, uint64_t size, size_t column) {
    if (column >= spec_.columns) throw py::value_error("column out of range");
    CallableSource source(read, size);
    Scratch scratch;
    const Finding f = CheckSource(&source, spec_, column, &scratch);
    if (f.trouble == Trouble::kNone) return py::none();
    return py::make_tuple(TroubleName(f.trouble), py::bytes(f.message).attr("decode")("utf-8", "replace"));
  }

 private:
  std::vector<std::tuple<size_t, Trouble, std::string>> RunThreads(
      const std::string& blob, const std::vector<std::pair<size_t, size_t>>& spans, int threads) {
    constexpr size_t kGrab = 32;  // Files a thread takes at a time.
    std::atomic<size_t> next{0};
    std::vector<std::vector<std::tuple<size_t, Trouble, std::string>>> per_thread(static_cast<size_t>(threads));
    auto work = [&](size_t t) {
      Scratch scratch;
      for (;;) {
        const size_t begin = next.fetch_add(kGrab);
        if (begin >= spans.size()) return;
        const size_t end = std::min(spans.size(), begin + kGrab);
        for (size_t i = begin; i < end; ++i) {
          Finding f;
          try {
            f = CheckPath(blob.data() + spans[i].first, spans[i].second, spec_, i % spec_.columns, &scratch);
          } catch (const std::bad_alloc&) {
            f.Add(Trouble::kUnreadable, "out of memory while checking the file");
          }
          if (f.trouble != Trouble::kNone) per_thread[t].emplace_back(i, f.trouble, std::move(f.message));
        }
      }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < per_thread.size() && t < (spans.size() + kGrab - 1) / kGrab; ++t) {
      try {
        pool.emplace_back(work, t);
      } catch (const std::system_error&) {
        break;  // Fewer threads: this one and those started do the work.
      }
    }
    work(0);
    for (std::thread& th : pool) th.join();
    std::vector<std::tuple<size_t, Trouble, std::string>> all;
    for (auto& v : per_thread) std::move(v.begin(), v.end(), std::back_inserter(all));
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    return all;
  }

  CheckSpec spec_;
};

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
  py::class_<tfnpy::Checker>(m, "Checker",
                             "Checks files as read_npy / read_npz would read them (tfnpy check).")
      .def(py::init<const py::object&, bool, const py::object&, size_t, int64_t>(), py::arg("keys") = py::none(),
           py::arg("full") = false, py::arg("expect") = py::none(), py::arg("columns") = 1,
           py::arg("max_header_size") = 10000,
           "keys: .npz members (None: .npy files); full: read the data and CRCs too; expect: one (descr, "
           "shape) per path column and key, the dtype and shape every file must have (None: not compared).")
      .def("check_paths", &tfnpy::Checker::CheckPaths, py::arg("paths"), py::arg("threads") = 1,
           "Checks local files (bytes paths; file i is of column i % columns) on `threads` threads, the GIL "
           "released. Returns [(i, trouble, message)] for the files that fail, in order; trouble is "
           "'missing', 'unreadable', 'malformed' or 'mismatch'.")
      .def("check_reader", &tfnpy::Checker::CheckReader, py::arg("read"), py::arg("size"), py::arg("column") = 0,
           "Checks one file read through read(offset, n) -> bytes: None, or (trouble, message).");
  m.attr("MAX_PREAMBLE_SIZE") = tfnpy::kMaxPreambleSize;
  m.attr("DTYPES") = tfnpy::DTypeNames();
}
