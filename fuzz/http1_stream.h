// A model of one HTTP/1.1 connection's input side for the fuzz targets: bytes arrive in pieces
// (split wherever the caller says), heads are parsed with the real parser, bodies are delimited by
// Content-Length, chunked (the real decoder) or the end of input, as http1_client_session.cc and
// real_server_connection.cc do. The result is a transcript of everything decided; the same bytes
// must give the same transcript however they were split (TCP segments anywhere).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http1/chunked_decoder.h"
#include "proxy/http1/request_parser.h"
#include "proxy/http1/response_parser.h"

namespace espd::fuzz {

// Called with each complete head and the buffer its views point into (only when set: the
// invariant checks need to run once per input, not once per way of splitting it).
using RequestCheck = std::function<void(const http1::RequestHead&, std::string_view buffer)>;
using ResponseCheck = std::function<void(const http1::ResponseHead&, std::string_view buffer)>;

// Limits small enough that a fuzzer reaches them with short inputs.
inline constexpr http1::RequestLimits kRequestLimits{2048, 24, 512};
inline constexpr http1::ResponseLimits kResponseLimits{2048, 24};
inline constexpr http1::ChunkedLimits kChunkedLimits{128, 512, 8};

// Feeds `input` as arrivals split at `cuts` (ascending offsets) and returns the transcript.
std::string request_stream(std::string_view input, const std::vector<size_t>& cuts,
                           const RequestCheck& check = {});
std::string response_stream(std::string_view input, const std::vector<size_t>& cuts,
                            bool request_was_head, const ResponseCheck& check = {});

// Readable form of bytes for transcripts: printable ASCII as is, the rest as \xHH.
std::string escaped(std::string_view bytes);

// How many fields named `name` (any case) a head has.
size_t count_fields(const std::vector<http1::Header>& headers, std::string_view name);

// The field lines of an accepted head obey the grammar: at most `max_headers`, views into
// `buffer`, token names, values without CR, LF, NUL or controls. Crashes (a finding) otherwise.
void require_field_grammar(const std::vector<http1::Header>& headers, std::string_view buffer,
                           size_t max_headers);

}  // namespace espd::fuzz
