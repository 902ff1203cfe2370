// A model of one HTTP/1.1 connection's input side for the fuzz targets.
#include "fuzz/http1_stream.h"

#include <algorithm>
#include <memory>

#include "fuzz/fuzz_support.h"
#include "proxy/http1/field_syntax.h"

namespace espd::fuzz {
namespace {

using http1::BodyKind;
using http1::ChunkedDecoder;
using http1::ParseStatus;

constexpr size_t kMaxMessages = 32;  // enough to cover pipelining; bounds the work per input

const char* kind_name(BodyKind kind) {
  switch (kind) {
    case BodyKind::kNone:
      return "none";
    case BodyKind::kContentLength:
      return "length";
    case BodyKind::kChunked:
      return "chunked";
    case BodyKind::kUntilClose:
      return "until-close";
  }
  return "?";
}

void describe_fields(const std::vector<http1::Header>& headers, std::string& out) {
  for (const http1::Header& field : headers)
    out += "  " + escaped(field.name) + ": " + escaped(field.value) + "\n";
}

// The head-parsing half, one per side.
class HeadSide {
 public:
  virtual ~HeadSide() = default;
  // Parses `buffer`; on kComplete sets consumed and framing and describes the head in `out`; on
  // kError describes the error.
  virtual ParseStatus parse(std::string_view buffer, size_t& consumed, http1::BodyFraming& framing,
                            std::string& out) = 0;
  virtual void reset() = 0;
};

class RequestSide : public HeadSide {
 public:
  explicit RequestSide(const RequestCheck& check) : parser_(kRequestLimits), check_(check) {}

  ParseStatus parse(std::string_view buffer, size_t& consumed, http1::BodyFraming& framing,
                    std::string& out) override {
    ParseStatus status = parser_.parse(buffer, head_);
    if (status == ParseStatus::kError) {
      out += std::string("error ") + http1::error_reason(parser_.error()) + "\n";
    } else if (status == ParseStatus::kComplete) {
      if (check_) check_(head_, buffer);
      consumed = parser_.consumed();
      framing = head_.body;
      out += "request " + escaped(head_.method) + " " + escaped(head_.target) +
             " path=" + escaped(head_.path) + " query=" + escaped(head_.query) +
             " authority=" + escaped(head_.absolute_authority) + " host=" + escaped(head_.host) +
             " 1." + std::to_string(head_.version_minor) + " body=" + kind_name(head_.body.kind) +
             "/" + std::to_string(head_.body.content_length) +
             " close=" + std::to_string(head_.connection_close) +
             " keep-alive=" + std::to_string(head_.connection_keep_alive) +
             " expect=" + std::to_string(head_.expect_continue) +
             " head=" + std::to_string(consumed) + "\n";
      describe_fields(head_.headers, out);
    }
    return status;
  }
  void reset() override { parser_.reset(); }

 private:
  http1::RequestParser parser_;
  http1::RequestHead head_;
  const RequestCheck& check_;
};

class ResponseSide : public HeadSide {
 public:
  ResponseSide(bool request_was_head, const ResponseCheck& check)
      : parser_(kResponseLimits), request_was_head_(request_was_head), check_(check) {}

  ParseStatus parse(std::string_view buffer, size_t& consumed, http1::BodyFraming& framing,
                    std::string& out) override {
    ParseStatus status = parser_.parse(buffer, request_was_head_, head_);
    if (status == ParseStatus::kError) {
      out += std::string("error ") + http1::error_reason(parser_.error()) + "\n";
    } else if (status == ParseStatus::kComplete) {
      if (check_) check_(head_, buffer);
      consumed = parser_.consumed();
      framing = head_.body;
      out += "response 1." + std::to_string(head_.version_minor) + " " +
             std::to_string(head_.status) + " " + escaped(head_.reason) +
             " body=" + kind_name(head_.body.kind) + "/" +
             std::to_string(head_.body.content_length) +
             " close=" + std::to_string(head_.connection_close) +
             " keep-alive=" + std::to_string(head_.connection_keep_alive) +
             " head=" + std::to_string(consumed) + "\n";
      describe_fields(head_.headers, out);
    }
    return status;
  }
  void reset() override { parser_.reset(); }

 private:
  http1::ResponseParser parser_;
  http1::ResponseHead head_;
  bool request_was_head_;
  const ResponseCheck& check_;
};

// The connection: a receive buffer, the head side, and the body state.
class Connection {
 public:
  explicit Connection(HeadSide& side) : side_(side), chunked_(kChunkedLimits) {}

  std::string run(std::string_view input, const std::vector<size_t>& cuts) {
    size_t delivered = 0;
    for (size_t i = 0; i <= cuts.size() && state_ != State::kStopped; ++i) {
      size_t end = i < cuts.size() ? cuts[i] : input.size();
      in_.append(input.substr(delivered, end - delivered));
      delivered = end;
      process();
    }
    if (state_ != State::kStopped) {
      out_ += std::string("end of input: ") + state_name() + ", " + std::to_string(in_.size()) +
              " bytes unread\n";
      if (state_ != State::kHead) finish_body();
    }
    return out_;
  }

 private:
  enum class State { kHead, kLength, kChunked, kUntilClose, kStopped };

  const char* state_name() const {
    switch (state_) {
      case State::kHead:
        return "between messages or in a head";
      case State::kLength:
        return "in a Content-Length body";
      case State::kChunked:
        return "in a chunked body";
      case State::kUntilClose:
        return "in a close-delimited body";
      case State::kStopped:
        return "stopped";
    }
    return "?";
  }

  void finish_body() {
    out_ += "  body " + std::to_string(body_.size()) + " bytes: " + escaped(body_) + "\n";
    body_.clear();
  }

  void stop() { state_ = State::kStopped; }

  void process() {
    for (;;) {
      switch (state_) {
        case State::kStopped:
          return;
        case State::kHead: {
          if (in_.empty()) return;
          size_t consumed = 0;
          http1::BodyFraming framing;
          ParseStatus status = side_.parse(in_, consumed, framing, out_);
          if (status == ParseStatus::kIncomplete) return;
          if (status == ParseStatus::kError) return stop();
          require(consumed > 0 && consumed <= in_.size(), "a head's length lies within the input");
          in_.erase(0, consumed);
          side_.reset();
          if (++messages_ == kMaxMessages) return stop();
          switch (framing.kind) {
            case BodyKind::kNone:
              break;
            case BodyKind::kContentLength:
              remaining_ = framing.content_length;
              state_ = State::kLength;
              break;
            case BodyKind::kChunked:
              chunked_.reset();
              state_ = State::kChunked;
              break;
            case BodyKind::kUntilClose:
              state_ = State::kUntilClose;
              break;
          }
          continue;
        }
        case State::kLength: {
          if (remaining_ == 0) {
            finish_body();
            state_ = State::kHead;
            continue;
          }
          if (in_.empty()) return;
          size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, in_.size()));
          body_.append(in_, 0, take);
          in_.erase(0, take);
          remaining_ -= take;
          continue;
        }
        case State::kChunked: {
          if (in_.empty()) return;
          size_t consumed = 0;
          std::string_view data;
          http1::Header trailer;
          ChunkedDecoder::Status status = chunked_.decode(in_, consumed, data, trailer);
          require(consumed <= in_.size(), "the chunked decoder consumes only what it was given");
          switch (status) {
            case ChunkedDecoder::Status::kData:
              require(!data.empty() && inside(data, std::string_view(in_).substr(0, consumed)),
                      "chunk data is a non-empty view into the consumed input");
              body_.append(data);
              break;
            case ChunkedDecoder::Status::kTrailer:
              require(inside(trailer.name, std::string_view(in_).substr(0, consumed)),
                      "a trailer lies within the consumed input");
              out_ += "  trailer " + escaped(trailer.name) + ": " + escaped(trailer.value) + "\n";
              break;
            case ChunkedDecoder::Status::kNeedMore:
              in_.erase(0, consumed);
              return;
            case ChunkedDecoder::Status::kDone:
              finish_body();
              state_ = State::kHead;
              break;
            case ChunkedDecoder::Status::kError:
              finish_body();
              out_ +=
                  std::string("  chunked error ") + http1::error_reason(chunked_.error()) + "\n";
              return stop();
          }
          in_.erase(0, consumed);
          continue;
        }
        case State::kUntilClose:
          body_ += in_;
          in_.clear();
          return;
      }
    }
  }

  HeadSide& side_;
  ChunkedDecoder chunked_;
  State state_ = State::kHead;
  std::string in_;
  std::string out_;
  std::string body_;
  uint64_t remaining_ = 0;
  size_t messages_ = 0;
};

}  // namespace

std::string escaped(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

size_t count_fields(const std::vector<http1::Header>& headers, std::string_view name) {
  return std::count_if(headers.begin(), headers.end(),
                       [&](const http1::Header& f) { return http1::iequals(f.name, name); });
}

void require_field_grammar(const std::vector<http1::Header>& headers, std::string_view buffer,
                           size_t max_headers) {
  require(headers.size() <= max_headers, "the field count limit holds");
  for (const http1::Header& field : headers) {
    require(inside(field.name, buffer) && inside(field.value, buffer),
            "fields point into the input");
    require(http1::is_token(field.name), "field names are tokens");
    for (unsigned char c : field.value)
      require(http1::is_field_value_char(c), "field values hold no CR, LF, NUL or controls");
  }
}

std::string request_stream(std::string_view input, const std::vector<size_t>& cuts,
                           const RequestCheck& check) {
  RequestSide side(check);
  return Connection(side).run(input, cuts);
}

std::string response_stream(std::string_view input, const std::vector<size_t>& cuts,
                            bool request_was_head, const ResponseCheck& check) {
  ResponseSide side(request_was_head, check);
  return Connection(side).run(input, cuts);
}

}  // namespace espd::fuzz
