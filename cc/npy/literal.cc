#include "npy/literal.h"

#include <cstring>

#include "npy/text.h"

namespace tfnpy {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool Parser::StartsString() const {
  // Python 3 string prefixes: u, r, b, br, rb in any case (f-strings are not
  // literals).
  char prefix[2] = {0, 0};
  int n = 0;
  const char* q = p_;
  for (; q < end_ && n < 2; ++q, ++n) {
    const char c = static_cast<char>(*q | 0x20);  // ASCII lower case
    if (*q == '\'' || *q == '"') break;
    if (c != 'u' && c != 'r' && c != 'b') return false;
    prefix[n] = c;
  }
  if (q >= end_ || (*q != '\'' && *q != '"')) return false;
  if (n == 2) {
    return (prefix[0] == 'b' && prefix[1] == 'r') ||
           (prefix[0] == 'r' && prefix[1] == 'b');
  }
  return true;
}


// Python's escapes after a backslash (p_ is past `e`). Code points beyond
// ASCII are written as UTF-8; they never match a key or dtype anyway.
template <typename Put>
Status Parser::Escape(char e, Put put) {
  auto put_code_point = [&put](uint32_t cp) {
    if (cp < 0x80) {
      put(static_cast<char>(cp));
    } else if (cp < 0x800) {
      put(static_cast<char>(0xc0 | (cp >> 6)));
      put(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      put(static_cast<char>(0xe0 | (cp >> 12)));
      put(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      put(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      put(static_cast<char>(0xf0 | (cp >> 18)));
      put(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      put(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      put(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  };
  auto hex = [this](int digits, uint32_t* out) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      if (p_ >= end_ || HexValue(*p_) < 0) return false;
      v = v * 16 + static_cast<uint32_t>(HexValue(*p_++));
    }
    *out = v;
    return true;
  };
  uint32_t cp = 0;
  switch (e) {
    case '\n': return Status::Ok();
    case 'n': put('\n'); return Status::Ok();
    case 't': put('\t'); return Status::Ok();
    case 'r': put('\r'); return Status::Ok();
    case 'a': put('\a'); return Status::Ok();
    case 'b': put('\b'); return Status::Ok();
    case 'f': put('\f'); return Status::Ok();
    case 'v': put('\v'); return Status::Ok();
    case '\\': case '\'': case '"': put(e); return Status::Ok();
    case 'x':
      if (!hex(2, &cp)) return Error("truncated \\x escape");
      put_code_point(cp);
      return Status::Ok();
    case 'u': case 'U':
      if (!hex(e == 'u' ? 4 : 8, &cp) || cp > 0x10ffff) {
        return Error("bad unicode escape");
      }
      put_code_point(cp);
      return Status::Ok();
    default:
      break;
  }
  if (e >= '0' && e <= '7') {
    cp = static_cast<uint32_t>(e - '0');
    for (int i = 0; i < 2 && p_ < end_ && *p_ >= '0' && *p_ <= '7'; ++i) {
      cp = cp * 8 + static_cast<uint32_t>(*p_++ - '0');
    }
    put_code_point(cp);
    return Status::Ok();
  }
  // Unknown escapes stay as written, as in Python.
  put('\\');
  put(e);
  return Status::Ok();
}

Status Parser::ParseOneString(Value* v, bool* is_bytes) {
  bool raw = false;
  *is_bytes = false;
  while (p_ < end_ && *p_ != '\'' && *p_ != '"') {
    const char c = *p_++;
    if (c == 'r' || c == 'R') raw = true;
    if (c == 'b' || c == 'B') *is_bytes = true;
  }
  if (p_ >= end_) return Error("unterminated string");
  const char quote = *p_;
  const bool triple = end_ - p_ >= 3 && p_[1] == quote && p_[2] == quote;
  p_ += triple ? 3 : 1;
  auto put = [v](char c) {
    if (v->text_len < sizeof(v->text)) {
      v->text[v->text_len++] = c;
    } else {
      v->text_truncated = true;
    }
  };
  while (true) {
    if (p_ >= end_) return Error("unterminated string");
    const char c = *p_;
    if (c == quote) {
      if (!triple) {
        ++p_;
        return Status::Ok();
      }
      if (end_ - p_ >= 3 && p_[1] == quote && p_[2] == quote) {
        p_ += 3;
        return Status::Ok();
      }
    }
    if (c == '\n' && !triple) return Error("newline inside a string");
    if (c == '\\' && p_ + 1 < end_) {
      const char e = p_[1];
      p_ += 2;
      if (raw) {
        put('\\');
        put(e);
        continue;
      }
      Status es = Escape(e, put);
      if (!es.ok()) return es;
      continue;
    }
    put(c);
    ++p_;
  }
}

Status Parser::ParseString(Value* v) {
  v->kind = Kind::kString;
  bool first = true;
  // Adjacent literals concatenate, as in Python ('<' 'f8' == '<f8').
  do {
    bool is_bytes;
    Status s = ParseOneString(v, &is_bytes);
    if (!s.ok()) return s;
    if (!first && is_bytes != v->bytes) {
      return Error("cannot mix bytes and str literals");
    }
    v->bytes = is_bytes;
    first = false;
    SkipSpace();
  } while (p_ < end_ && StartsString());
  return Status::Ok();
}

Status Parser::ParseNumber(Value* v) {
  v->kind = Kind::kInt;
  bool negative = false;
  if (*p_ == '+' || *p_ == '-') {
    negative = *p_ == '-';
    ++p_;
    SkipSpace();
  }
  if (p_ >= end_ || *p_ < '0' || *p_ > '9') return Error("expected a number");
  unsigned base = 10;
  if (*p_ == '0' && p_ + 1 < end_) {
    const char x = p_[1];
    if (x == 'x' || x == 'X') base = 16;
    if (x == 'o' || x == 'O') base = 8;
    if (x == 'b' || x == 'B') base = 2;
    if (base != 10) p_ += 2;
  }
  const char* digits = p_;
  uint64_t value = 0;
  bool overflow = false;
  bool leading_zero = base == 10 && *p_ == '0';
  bool nonzero = false;
  bool last_underscore = base != 10;  // "0x_1" is valid, "1__0" is not.
  int ndigits = 0;
  for (; p_ < end_; ++p_) {
    const char c = *p_;
    if (c == '_') {
      if (last_underscore && p_ != digits) return Error("bad underscore in number");
      last_underscore = true;
      continue;
    }
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      break;
    }
    if (d >= base) break;
    last_underscore = false;
    ++ndigits;
    if (d != 0) nonzero = true;
    if (value > (UINT64_MAX - d) / base) overflow = true;
    value = value * base + d;
  }
  if (ndigits == 0 || last_underscore) return Error("malformed number");
  if (leading_zero && nonzero) return Error("leading zeros in a decimal number");
  if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E' || *p_ == 'j' ||
                    *p_ == 'J')) {
    // A float or complex literal: valid Python, but never an int.
    while (p_ < end_ && (IsIdent(*p_) || *p_ == '.' || *p_ == '+' ||
                         *p_ == '-')) {
      ++p_;
    }
    v->kind = Kind::kOther;
    return Status::Ok();
  }
  if (p_ < end_ && IsIdent(*p_)) {
    // Python 2 wrote longs as 10L; numpy strips that suffix for v1/v2 only.
    if (*p_ == 'L' && allow_long_ && (p_ + 1 >= end_ || !IsIdent(p_[1]))) {
      ++p_;
    } else {
      return Error("malformed number");
    }
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (overflow || value > kMax + (negative ? 1 : 0)) {
    v->number_overflow = true;
  } else if (negative) {
    v->number = value == kMax + 1 ? INT64_MIN : -static_cast<int64_t>(value);
  } else {
    v->number = static_cast<int64_t>(value);
  }
  return Status::Ok();
}

Status Parser::ParseSequence(char close, Value* v, DimSink* sink, int depth) {
  // p_ is just past the opening bracket.
  bool comma = false;
  int count = 0;
  Value first;
  int64_t inner_dims[kMaxDims];
  DimSink inner{inner_dims, kMaxDims};
  while (true) {
    if (Consume(close)) break;
    if (count > 0 && !comma) return Error("expected ',' between elements");
    Value elem;
    // "((3, 4))" is the tuple (3, 4): collect the first element's own ints
    // in case the parentheses turn out to be grouping, not a tuple.
    DimSink* elem_sink = nullptr;
    if (count == 0 && sink != nullptr && close == ')') {
      inner = DimSink{inner_dims, kMaxDims};
      elem_sink = &inner;
    }
    Status s = ParseValue(&elem, elem_sink, depth + 1);
    if (!s.ok()) return s;
    if (count == 0) first = elem;
    if (sink != nullptr) {
      // numpy's header check lets bools through (isinstance(True, int)),
      // but building the array then fails: refuse them here.
      if (elem.kind != Kind::kInt) {
        sink->non_int = true;
      } else if (elem.number_overflow) {
        sink->overflow = true;
      } else if (sink->n < sink->capacity) {
        sink->dims[sink->n] = elem.number;
      }
      ++sink->n;  // Counts past capacity so the caller can report it.
    }
    ++count;
    comma = Consume(',');
    if (!comma) {
      SkipSpace();
      if (p_ >= end_ || *p_ != close) {
        return Error(p_ >= end_ ? "unterminated sequence"
                                : "expected ',' or a closing bracket");
      }
    }
  }
  if (close == ')' && count == 1 && !comma) {
    // "(x)" is x in parentheses, not a tuple.
    const char* b = v->begin;
    *v = first;
    v->begin = b;
    if (sink != nullptr) {
      if (first.kind == Kind::kTuple) {
        const int n = inner.n < sink->capacity ? inner.n : sink->capacity;
        std::memcpy(sink->dims, inner.dims, sizeof(int64_t) * n);
        sink->n = inner.n;
        sink->non_int = inner.non_int;
        sink->overflow = inner.overflow;
      } else {
        sink->n = 0;
        sink->non_int = true;  // Not a tuple at all.
      }
    }
    return Status::Ok();
  }
  v->kind = close == ')' ? Kind::kTuple : Kind::kOther;
  v->count = count;
  return Status::Ok();
}

Status Parser::ParseDict(Value* v, int depth) {
  // A nested dict (only ever skipped: it is never a valid value here).
  bool comma = true;
  while (!Consume('}')) {
    if (!comma) return Error("expected ',' or '}'");
    Value key, value;
    Status s = ParseValue(&key, nullptr, depth + 1);
    if (!s.ok()) return s;
    if (!Consume(':')) return Error("expected ':' after a key");
    s = ParseValue(&value, nullptr, depth + 1);
    if (!s.ok()) return s;
    comma = Consume(',');
  }
  v->kind = Kind::kOther;
  return Status::Ok();
}

Status Parser::ParseValue(Value* v, DimSink* sink, int depth) {
  if (depth > kMaxNesting) return Error("nesting too deep");
  SkipSpace();
  if (p_ >= end_) return Error("unexpected end of header");
  v->begin = p_;
  Status s;
  const char c = *p_;
  if (StartsString()) {
    s = ParseString(v);
  } else if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
    s = ParseNumber(v);
  } else if (c == '(' || c == '[') {
    ++p_;
    s = ParseSequence(c == '(' ? ')' : ']', v, sink, depth);
  } else if (c == '{') {
    ++p_;
    s = ParseDict(v, depth);
  } else if (IsIdent(c)) {
    const char* w = p_;
    while (p_ < end_ && IsIdent(*p_)) ++p_;
    const size_t n = static_cast<size_t>(p_ - w);
    if (n == 4 && std::memcmp(w, "True", 4) == 0) {
      v->kind = Kind::kBool;
      v->number = 1;
    } else if (n == 5 && std::memcmp(w, "False", 5) == 0) {
      v->kind = Kind::kBool;
      v->number = 0;
    } else if (n == 4 && std::memcmp(w, "None", 4) == 0) {
      v->kind = Kind::kOther;
    } else {
      return Error("unexpected name (literal_eval allows only literals)");
    }
  } else {
    return Error("unexpected character");
  }
  if (!s.ok()) return s;
  if (sink != nullptr && v->kind != Kind::kTuple) sink->non_int = true;
  v->end = p_;
  return Status::Ok();
}

std::string ValueText(const Value& v) {
  return Quote(v.begin, static_cast<size_t>(v.end - v.begin));
}

}  // namespace tfnpy
