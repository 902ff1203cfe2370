// The header list of an HTTP/2 response (or of its trailers), built from what the real server
// sent over HTTP/1.1 or from a local answer, in the form nghttp2 submits.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http1/message.h"

namespace espd::http2 {

// Reused for every response of a connection (its storage keeps its capacity): nghttp2 copies the
// list when it is submitted, so nothing here must outlive the submit call.
class ResponseHeaderList {
 public:
  // ":status", then the real server's fields in order without those that only meant something
  // on its HTTP/1.1 connection (hop-by-hop fields and those its Connection field names), names in
  // lower case, then `extra_field_lines` ("Name: value\r\n" lines espd adds, such as the
  // persistence cookie). Every Set-Cookie stays a field of its own.
  void build_forwarded(const http1::ResponseHead& head, std::string_view extra_field_lines);
  // A response espd makes itself: a short text body of `body_length` bytes.
  void build_local(uint16_t status, size_t body_length, std::string_view extra_field_lines);
  // Trailer fields from "Name: value\r\n" lines (hop-by-hop ones dropped).
  void build_trailers(std::string_view field_lines);

  const nghttp2_nv* data() const { return nv_.data(); }
  size_t size() const { return nv_.size(); }
  bool empty() const { return nv_.empty(); }

 private:
  void clear();
  void add(std::string_view name, std::string_view value);  // lower-cases the name
  void add_field_lines(std::string_view lines);
  void finish();  // makes nv_ point into storage_ (which no longer moves)

  struct Entry {
    uint32_t name;
    uint32_t name_length;
    uint32_t value;
    uint32_t value_length;
  };
  std::string storage_;
  std::vector<Entry> entries_;
  std::vector<nghttp2_nv> nv_;
};

}  // namespace espd::http2
