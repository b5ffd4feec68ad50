// Text helpers of the .npy core: quoting untrusted bytes for messages, UTF-8
// validation, and numpy-style shape strings.
#ifndef TFNPY_CC_NPY_TEXT_H_
#define TFNPY_CC_NPY_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace tfnpy {

// Characters of untrusted text quoted in an error message.
constexpr size_t kQuoteLimit = 120;

// Printable, escaped rendering of untrusted bytes, cut at kQuoteLimit
// characters ("..." marks the cut).
std::string Quote(const char* p, size_t n);

// True if s[0, n) is valid UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF); sets *code_points. Else sets *bad_at to the byte
// offset of the first bad sequence.
bool ValidUtf8(const unsigned char* s, size_t n, size_t* bad_at,
               uint64_t* code_points);

// "(10, 10)", "()", "(3,)": the shape as numpy prints it (negative: None).
std::string ShapeString(const int64_t* dims, int ndims);

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_TEXT_H_
