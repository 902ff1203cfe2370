// Creating a non-blocking listening TCP socket that several workers share via SO_REUSEPORT.
#pragma once

#include <string>

#include "proxy/net/socket_address.h"

namespace espd::listeners {

inline constexpr int kListenBacklog = 4096;

// Returns the socket, or -1 with `error` set ("bind 10.154.11.5:443: Address already in use").
int open_listening_socket(const net::SocketAddress& address, std::string& error);

}  // namespace espd::listeners
