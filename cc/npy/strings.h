// The elements of S and U arrays as byte strings, as numpy gives them:
// S<n> items are their n bytes without trailing NULs (embedded NULs kept);
// U<n> items are n UCS-4 code units without trailing NUL code points,
// encoded as UTF-8. Framework-free: the caller turns each span into its own
// string type (TensorFlow's tstring, a std::string, ...).
//
//   reader.ReadInto(sel, raw, sel.array.data_bytes);   // C order, native byte order
//   TFNPY_RETURN_IF_ERROR(ForEachString(sel, raw, size, &sink));
#ifndef TFNPY_CC_NPY_STRINGS_H_
#define TFNPY_CC_NPY_STRINGS_H_

#include <cstddef>
#include <cstdint>

#include "npy/header.h"
#include "npy/region.h"
#include "npy/status.h"

namespace tfnpy {

// Receives each element, in C order: its index in the (selected) array and
// its bytes, valid only during the call. A sink that cannot take it (its
// allocation failed: kOutOfMemory) returns an error, which stops the walk.
class StringSink {
 public:
  virtual ~StringSink() = default;
  virtual Status Put(uint64_t index, const char* data, size_t size) = 0;
};

// Longest UTF-8 form of one U item of `itemsize` bytes: itemsize (each code
// point of 4 bytes takes at most 4 in UTF-8).
inline uint64_t MaxUtf8Bytes(uint64_t itemsize) { return itemsize; }

// Calls sink->Put for every element of sel.array (an S or U array), whose
// data `data` holds in C order and native byte order (sel.array.data_bytes
// bytes, as NpyReader::ReadInto writes them). A U item holding a value that
// is no Unicode scalar value (above U+10FFFF, or a surrogate D800-DFFF) is
// kBadString naming the element (its index in the whole array: sel.lo
// added), the character and the value in hex; elements before it have been
// put. kBadArgument for a non-string array or a short buffer; the sink's
// error if it fails.
Status ForEachString(const Selection& sel, const char* data, size_t size, StringSink* sink);

// UTF-8 of code point `cp` (a Unicode scalar value) at out (room for 4);
// returns the bytes written.
size_t EncodeUtf8(uint32_t cp, char* out);

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_STRINGS_H_
