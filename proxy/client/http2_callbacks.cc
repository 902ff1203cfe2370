// The nghttp2 callback table of espd's HTTP/2 server sessions.
#include "proxy/client/http2_callbacks.h"

#include <string_view>

#include "proxy/client/http2_client_session.h"

namespace espd::client {
namespace {

Http2ClientSession& session_of(void* user_data) {
  return *static_cast<Http2ClientSession*>(user_data);
}

std::string_view view(nghttp2_rcbuf* buffer) {
  nghttp2_vec bytes = nghttp2_rcbuf_get_buf(buffer);
  return {reinterpret_cast<const char*>(bytes.base), bytes.len};
}

int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* header, void* user_data) {
  return session_of(user_data).on_begin_frame(*header);
}

int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return session_of(user_data).on_begin_headers(*frame);
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, nghttp2_rcbuf* name,
              nghttp2_rcbuf* value, uint8_t, void* user_data) {
  return session_of(user_data).on_header(*frame, view(name), view(value));
}

int on_invalid_header(nghttp2_session*, const nghttp2_frame* frame, nghttp2_rcbuf* name,
                      nghttp2_rcbuf* value, uint8_t, void* user_data) {
  return session_of(user_data).on_invalid_header(*frame, view(name), view(value));
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return session_of(user_data).on_frame_recv(*frame);
}

int on_data_chunk_recv(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                       size_t length, void* user_data) {
  return session_of(user_data).on_data_chunk(
      stream_id, std::string_view(reinterpret_cast<const char*>(data), length));
}

int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  return session_of(user_data).on_stream_close(stream_id, error_code);
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return session_of(user_data).on_frame_send(*frame);
}

int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame* frame, int library_error,
                          void* user_data) {
  return session_of(user_data).on_invalid_frame(*frame, library_error);
}

int on_error(nghttp2_session*, int, const char* message, size_t length, void* user_data) {
  session_of(user_data).on_library_error(std::string_view(message, length));
  return 0;
}

nghttp2_session_callbacks* make_callbacks() {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return nullptr;
  nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback2(callbacks, on_header);
  nghttp2_session_callbacks_set_on_invalid_header_callback2(callbacks, on_invalid_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, on_frame_send);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, on_invalid_frame_recv);
  nghttp2_session_callbacks_set_error_callback2(callbacks, on_error);
  return callbacks;
}

}  // namespace

const nghttp2_session_callbacks* http2_server_callbacks() {
  // Never freed: one small table for the life of the process.
  static const nghttp2_session_callbacks* callbacks = make_callbacks();
  return callbacks;
}

}  // namespace espd::client
