// A non-evaluating reader of the Python literals a .npy header is made of.
//
// numpy reads the header with ast.literal_eval. We accept the part of
// Python's literal syntax that a valid header can use (strings with any
// quotes/prefixes/escapes and implicit concatenation, ints in any base with
// underscores and an optional sign, True/False, tuples, lists, nested
// parentheses, comments) and nothing is evaluated. The parser allocates
// nothing on the success path and recurses at most kMaxNesting levels, so
// hostile headers cost bounded time and stack.
#ifndef TFNPY_CC_NPY_LITERAL_H_
#define TFNPY_CC_NPY_LITERAL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "npy/status.h"
#include "npy/text.h"

namespace tfnpy {

constexpr int kMaxNesting = 32;
// numpy 2.x allows at most 64 dimensions (NPY_MAXDIMS): the most shape ints
// the parser collects.
constexpr int kMaxDims = 64;

enum class Kind { kString, kInt, kBool, kTuple, kOther };

struct Value {
  Kind kind = Kind::kOther;
  const char* begin = nullptr;  // Source text of the value, for messages.
  const char* end = nullptr;
  // kString: decoded text (truncated to the buffer); `bytes` if b'...'.
  // Only [0, text_len) is set: zeroing it for every value was measurable.
  char text[32];
  size_t text_len = 0;
  bool text_truncated = false;
  bool bytes = false;
  // kInt / kBool: the value, and whether it fits in int64.
  int64_t number = 0;
  bool number_overflow = false;
  // kTuple: how many elements.
  int count = 0;
};

// Where a tuple's integer elements go (the shape).
struct DimSink {
  int64_t* dims;
  int capacity;
  int n = 0;
  bool non_int = false;   // An element is not an int.
  bool overflow = false;  // An element does not fit in int64.
};

class Parser {
 public:
  Parser(const char* begin, const char* end, bool allow_long_suffix)
      : begin_(begin), p_(begin), end_(end), allow_long_(allow_long_suffix) {}

  Status Error(const char* what) const {
    return Status(Code::kHeaderSyntax,
                  std::string("header is not a dict literal: ") + what +
                      " at offset " + std::to_string(p_ - begin_) + " in '" +
                      Quote(begin_, static_cast<size_t>(end_ - begin_)) + "'");
  }

  void SkipSpace() {
    while (p_ < end_) {
      const char c = *p_;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++p_;
      } else if (c == '#') {
        while (p_ < end_ && *p_ != '\n') ++p_;
      } else if (c == '\\' && p_ + 1 < end_ && p_[1] == '\n') {
        p_ += 2;  // Explicit line continuation.
      } else {
        return;
      }
    }
  }

  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }

  bool Consume(char c) {
    SkipSpace();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  Status ParseValue(Value* v, DimSink* sink, int depth);

 private:
  static bool IsIdent(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
  }
  bool StartsString() const;
  Status ParseString(Value* v);
  Status ParseOneString(Value* v, bool* is_bytes);
  template <typename Put>
  Status Escape(char e, Put put);
  Status ParseNumber(Value* v);
  Status ParseSequence(char close, Value* v, DimSink* sink, int depth);
  Status ParseDict(Value* v, int depth);

  const char* begin_;
  const char* p_;
  const char* end_;
  bool allow_long_;
};

// The source text of a parsed value, quoted for a message.
std::string ValueText(const Value& v);

}  // namespace tfnpy

#endif  // TFNPY_CC_NPY_LITERAL_H_
