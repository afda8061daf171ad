// cluster/sqld/server/socket_stream.cc
#include "cluster/sqld/server/socket_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace halb::cluster::sqld::server {

using protocol::ReadStatus;

namespace {

ReadStatus wait_fd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return ReadStatus::kOk;
    if (r == 0) return ReadStatus::kTimeout;
    if (errno != EINTR) return ReadStatus::kError;
  }
}

std::string ssl_error_text() {
  unsigned long e = ERR_get_error();
  if (!e) return "TLS handshake failed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

}  // namespace

ReadStatus SocketStream::read_some(char* buf, size_t len, int timeout_ms, size_t& got) {
  for (;;) {
    ssize_t n = ::recv(fd_, buf, len, MSG_DONTWAIT);
    if (n > 0) {
      got = static_cast<size_t>(n);
      return ReadStatus::kOk;
    }
    if (n == 0) return ReadStatus::kClosed;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno == ECONNRESET ? ReadStatus::kClosed : ReadStatus::kError;
    ReadStatus st = wait_fd(fd_, POLLIN, timeout_ms);
    if (st != ReadStatus::kOk) return st;
  }
}

bool SocketStream::write_all(const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd_, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (wait_fd(fd_, POLLOUT, -1) != ReadStatus::kOk) return false;
        continue;
      }
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

std::unique_ptr<TlsContext> TlsContext::load(const std::string& cert, const std::string& key, std::string& error) {
  auto out = std::unique_ptr<TlsContext>(new TlsContext);
  out->ctx_ = SSL_CTX_new(TLS_server_method());
  if (!out->ctx_) {
    error = "cannot create a TLS context: " + ssl_error_text();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(out->ctx_, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(out->ctx_, cert.c_str()) != 1) {
    error = "ssl-cert " + cert + ": " + ssl_error_text();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(out->ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "ssl-key " + key + ": " + ssl_error_text();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(out->ctx_) != 1) {
    error = "ssl-key " + key + " does not match ssl-cert " + cert;
    return nullptr;
  }
  return out;
}

TlsContext::~TlsContext() {
  if (ctx_) SSL_CTX_free(ctx_);
}

TlsStream::TlsStream(TlsContext& ctx, int fd) : fd_(fd) {
  ssl_ = SSL_new(ctx.get());
  if (ssl_) SSL_set_fd(ssl_, fd);
}

TlsStream::~TlsStream() {
  if (ssl_) SSL_free(ssl_);
}

bool TlsStream::wait(bool for_write, int timeout_ms, ReadStatus& why) {
  why = wait_fd(fd_, for_write ? POLLOUT : POLLIN, timeout_ms);
  return why == ReadStatus::kOk;
}

bool TlsStream::accept(int timeout_ms, std::string& error) {
  if (!ssl_) {
    error = "cannot create a TLS session";
    return false;
  }
  for (;;) {
    int r = SSL_accept(ssl_);
    if (r == 1) return true;
    int e = SSL_get_error(ssl_, r);
    ReadStatus why;
    if (e == SSL_ERROR_WANT_READ && wait(false, timeout_ms, why)) continue;
    if (e == SSL_ERROR_WANT_WRITE && wait(true, timeout_ms, why)) continue;
    error = ssl_error_text();
    return false;
  }
}

ReadStatus TlsStream::read_some(char* buf, size_t len, int timeout_ms, size_t& got) {
  for (;;) {
    // Data already decrypted inside OpenSSL does not show up in poll().
    if (SSL_pending(ssl_) == 0) {
      ReadStatus why;
      if (!wait(false, timeout_ms, why)) return why;
    }
    size_t n = 0;
    int r = SSL_read_ex(ssl_, buf, len, &n);
    if (r == 1) {
      got = n;
      return ReadStatus::kOk;
    }
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
    ERR_clear_error();
    return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ? ReadStatus::kClosed : ReadStatus::kError;
  }
}

bool TlsStream::write_all(const char* data, size_t len) {
  while (len > 0) {
    size_t n = 0;
    int r = SSL_write_ex(ssl_, data, len, &n);
    if (r == 1) {
      data += n;
      len -= n;
      continue;
    }
    int e = SSL_get_error(ssl_, r);
    ReadStatus why;
    if (e == SSL_ERROR_WANT_WRITE && wait(true, -1, why)) continue;
    if (e == SSL_ERROR_WANT_READ && wait(false, -1, why)) continue;
    ERR_clear_error();
    return false;
  }
  return true;
}

}  // namespace halb::cluster::sqld::server
