// The header list of an HTTP/2 response, built from an HTTP/1.1 response or a local answer.
#include "proxy/http2/response_header_list.h"

#include <charconv>

#include "proxy/http1/connection_tokens.h"
#include "proxy/http1/field_syntax.h"

namespace espd::http2 {
namespace {

std::string_view decimal(char (&buffer)[24], uint64_t value) {
  return std::string_view(buffer,
                          std::to_chars(buffer, buffer + sizeof(buffer), value).ptr - buffer);
}

}  // namespace

void ResponseHeaderList::clear() {
  storage_.clear();
  entries_.clear();
  nv_.clear();
}

void ResponseHeaderList::add(std::string_view name, std::string_view value) {
  Entry entry;
  entry.name = static_cast<uint32_t>(storage_.size());
  entry.name_length = static_cast<uint32_t>(name.size());
  for (char c : name)
    storage_.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  entry.value = static_cast<uint32_t>(storage_.size());
  entry.value_length = static_cast<uint32_t>(value.size());
  storage_.append(value);
  entries_.push_back(entry);
}

void ResponseHeaderList::add_field_lines(std::string_view lines) {
  while (!lines.empty()) {
    size_t end = lines.find("\r\n");
    std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view name = line.substr(0, colon);
    if (http1::is_hop_by_hop(name)) continue;
    add(name, http1::trim_ows(line.substr(colon + 1)));
  }
}

void ResponseHeaderList::finish() {
  nv_.reserve(entries_.size());
  auto* base = reinterpret_cast<uint8_t*>(storage_.data());
  for (const Entry& entry : entries_) {
    nv_.push_back(nghttp2_nv{base + entry.name, base + entry.value, entry.name_length,
                             entry.value_length, NGHTTP2_NV_FLAG_NONE});
  }
}

void ResponseHeaderList::build_forwarded(const http1::ResponseHead& head,
                                         std::string_view extra_field_lines) {
  clear();
  char digits[24];
  add(":status", decimal(digits, head.status));
  http1::ConnectionTokens listed(head.headers);
  for (const http1::Header& field : head.headers) {
    if (http1::is_hop_by_hop(field.name)) continue;
    if (!listed.empty() && listed.contains(field.name)) continue;
    add(field.name, field.value);
  }
  add_field_lines(extra_field_lines);
  finish();
}

void ResponseHeaderList::build_local(uint16_t status, size_t body_length,
                                     std::string_view extra_field_lines) {
  clear();
  char digits[24];
  add(":status", decimal(digits, status));
  add("content-type", "text/plain; charset=utf-8");
  add("cache-control", "no-store");
  add("content-length", decimal(digits, body_length));
  add_field_lines(extra_field_lines);
  finish();
}

void ResponseHeaderList::build_trailers(std::string_view field_lines) {
  clear();
  add_field_lines(field_lines);
  finish();
}

}  // namespace espd::http2
