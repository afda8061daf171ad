// cluster/sqld/server/socket_stream.h: a connected socket as a protocol
// Stream (poll for timeouts, send with MSG_NOSIGNAL), and TLS over one.
#pragma once

#include <memory>
#include <string>

#include "cluster/sqld/protocol/stream.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace halb::cluster::sqld::server {

class SocketStream : public protocol::Stream {
 public:
  explicit SocketStream(int fd) : fd_(fd) {}
  protocol::ReadStatus read_some(char* buf, size_t len, int timeout_ms, size_t& got) override;
  bool write_all(const char* data, size_t len) override;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// The server's certificate and key (ssl-cert / ssl-key).
class TlsContext {
 public:
  // nullptr with `error` when the files cannot be loaded or do not match.
  static std::unique_ptr<TlsContext> load(const std::string& cert, const std::string& key, std::string& error);
  ~TlsContext();
  SSL_CTX* get() const { return ctx_; }

 private:
  SSL_CTX* ctx_ = nullptr;
};

class TlsStream : public protocol::Stream {
 public:
  TlsStream(TlsContext& ctx, int fd);
  ~TlsStream() override;
  // The server side of the TLS handshake; false with `error`.
  bool accept(int timeout_ms, std::string& error);
  protocol::ReadStatus read_some(char* buf, size_t len, int timeout_ms, size_t& got) override;
  bool write_all(const char* data, size_t len) override;

 private:
  bool wait(bool for_write, int timeout_ms, protocol::ReadStatus& why);
  SSL* ssl_ = nullptr;
  int fd_;
};

}  // namespace halb::cluster::sqld::server
