#include "client/connection.hpp"

#include "engine/defaults.hpp"
#include "net/openssl_text.hpp"
#include "net/replies.hpp"
#include "net/tls_stream.hpp"

#include "platform/socket.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace licd::client {

namespace proto = net::protocol;

std::pair<std::string, uint16_t> parse_endpoint(const std::string& text) {
  std::string host = text;
  std::string port = std::to_string(defaults::client_port);
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos)
      throw std::invalid_argument("bad server address '" + text + "'");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':')
        throw std::invalid_argument("bad server address '" + text + "'");
      port = text.substr(close + 2);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  bool host_ok = !host.empty();
  for (unsigned char c : host)
    host_ok = host_ok && (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':');
  if (!host_ok || port.empty() || port.find_first_not_of("0123456789") != std::string::npos
      || port.size() > 5 || std::stoul(port) == 0 || std::stoul(port) > 65535)
    throw std::invalid_argument("bad server address '" + text + "' (want HOST:PORT)");
  return {host, static_cast<uint16_t>(std::stoul(port))};
}

connection::connection(const std::string& host, uint16_t port, duration timeout,
                       const tls_options& tls)
  : timeout_(timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    throw connection_error("cannot resolve " + host + ": " + platform::resolve_error_text(rc));
  std::string why = "no address";
  for (auto* ai = found; ai != nullptr && fd_ == platform::no_socket; ai = ai->ai_next) {
    auto fd = platform::open_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol, true);
    if (fd == platform::no_socket)
      continue;
    int rc = ::connect(fd, ai->ai_addr, static_cast<int>(ai->ai_addrlen));
    int err = rc == 0 ? 0 : platform::last_socket_error();
    if (rc != 0 && platform::try_again(err)) {
      platform::poll_entry p{fd, POLLOUT, 0};
      rc = platform::poll_sockets(&p, 1, static_cast<int>(timeout_.count()));
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (rc == 1
          && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&so_error), &len) == 0
          && so_error == 0) {
        rc = 0;
      } else {
        why = rc == 0 ? "timed out"
                      : platform::socket_error_text(so_error != 0 ? so_error
                                                                  : platform::last_socket_error());
        rc = -1;
      }
    } else if (rc != 0) {
      why = platform::socket_error_text(err);
    }
    if (rc != 0) {
      platform::close_socket(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof(one));
    fd_ = fd;
  }
  freeaddrinfo(found);
  if (fd_ == platform::no_socket)
    throw connection_error("cannot connect to " + host + ":" + service + ": " + why);
  if (tls.enabled) {
    try {
      start_tls(host, tls);
    } catch (...) {
      close_all(); // the destructor does not run for a constructor that throws
      throw;
    }
  }
}

connection::~connection() {
  close_all();
}

void connection::close_all() {
  if (ssl_ != nullptr) {
    SSL_shutdown(static_cast<SSL*>(ssl_)); // best effort close_notify; no waiting
    SSL_free(static_cast<SSL*>(ssl_));
    ssl_ = nullptr;
  }
  if (ssl_ctx_ != nullptr) {
    SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
    ssl_ctx_ = nullptr;
  }
  platform::close_socket(fd_);
  fd_ = platform::no_socket;
}

void connection::wait_for(bool write, const char* what) {
  for (;;) {
    platform::poll_entry p{fd_, static_cast<short>(write ? POLLOUT : POLLIN), 0};
    int rc = platform::poll_sockets(&p, 1, static_cast<int>(timeout_.count()));
    if (rc > 0)
      return;
    if (rc == 0)
      throw connection_error(std::string("timed out ") + what);
    if (int err = platform::last_socket_error(); !platform::try_again(err))
      throw connection_error("poll: " + platform::socket_error_text(err));
  }
}

void connection::start_tls(const std::string& host, const tls_options& tls) {
  std::shared_ptr<net::tls_context> verifier;
  try {
    verifier = net::tls_context::client(tls.ca_file, tls.pin_sha256);
  } catch (const std::runtime_error& e) {
    throw tls_error(e.what());
  }
  auto* ctx = static_cast<SSL_CTX*>(verifier->native());
  SSL_CTX_up_ref(ctx); // kept past `verifier`, freed in close_all()
  ssl_ctx_ = ctx;
  auto* ssl = SSL_new(ctx);
  ssl_ = ssl;
  SSL_set_fd(ssl, static_cast<int>(fd_)); // a Windows SOCKET fits (OpenSSL casts it back)
  SSL_set_tlsext_host_name(ssl, host.c_str());
  if (verifier->checks_host())
    SSL_set1_host(ssl, host.c_str());
  for (;;) {
    int rc = SSL_connect(ssl);
    if (rc == 1)
      break;
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      wait_for(err == SSL_ERROR_WANT_WRITE, "in the TLS handshake");
      continue;
    }
    throw tls_error(verifier->handshake_failure(ssl));
  }
  if (auto why = verifier->pin_mismatch(ssl); !why.empty())
    throw tls_error(why);
}

void connection::send_raw(const std::string& bytes) {
  if (ssl_ != nullptr) {
    auto* ssl = static_cast<SSL*>(ssl_);
    size_t sent = 0;
    while (sent < bytes.size()) {
      size_t n = 0;
      int rc = SSL_write_ex(ssl, bytes.data() + sent, bytes.size() - sent, &n);
      if (rc == 1) {
        sent += n;
        continue;
      }
      int err = SSL_get_error(ssl, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        wait_for(err == SSL_ERROR_WANT_WRITE, "sending to the server");
        continue;
      }
      throw connection_error("connection lost while sending (TLS): " + net::openssl_last_error());
    }
    return;
  }
  size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = platform::send_some(fd_, bytes.data() + sent, bytes.size() - sent);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    int err = platform::last_socket_error();
    if (n < 0 && platform::try_again(err)) {
      platform::poll_entry p{fd_, POLLOUT, 0};
      if (platform::poll_sockets(&p, 1, static_cast<int>(timeout_.count())) <= 0)
        throw connection_error("timed out sending to the server");
      continue;
    }
    throw connection_error("connection lost while sending: " + platform::socket_error_text(err));
  }
}

std::string connection::read_line() {
  for (;;) {
    if (auto lf = inbuf_.find('\n'); lf != std::string::npos) {
      auto line = inbuf_.substr(0, lf);
      inbuf_.erase(0, lf + 1);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      return line;
    }
    char buf[4096];
    if (ssl_ != nullptr) {
      auto* ssl = static_cast<SSL*>(ssl_);
      size_t n = 0;
      int rc = SSL_read_ex(ssl, buf, sizeof(buf), &n);
      if (rc == 1) {
        inbuf_.append(buf, n);
        continue;
      }
      int err = SSL_get_error(ssl, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        wait_for(err == SSL_ERROR_WANT_WRITE, "waiting for the server's reply");
        continue;
      }
      if (err == SSL_ERROR_ZERO_RETURN)
        throw connection_error("the server closed the connection");
      throw connection_error("connection lost (TLS): " + net::openssl_last_error());
    }
    wait_for(false, "waiting for the server's reply");
    auto n = platform::receive_some(fd_, buf, sizeof(buf));
    if (n == 0)
      throw connection_error("the server closed the connection");
    if (n < 0) {
      int err = platform::last_socket_error();
      if (platform::try_again(err))
        continue;
      throw connection_error("connection lost: " + platform::socket_error_text(err));
    }
    inbuf_.append(buf, static_cast<size_t>(n));
  }
}

std::string connection::roundtrip(const std::string& line) {
  send_raw(line + "\n");
  return read_line();
}

proto::reply connection::request(const std::string& line) {
  auto text = roundtrip(line);
  auto r = proto::parse_reply(text);
  if (!r)
    throw connection_error("the server sent an unreadable reply: " + text);
  if (!r->ok)
    throw refused(r->code, r->message);
  return *r;
}

namespace {

/// The typed reply, or a connection_error naming the request the server answered wrongly.
template <class T>
T understood(std::optional<T> typed, const char* request, const proto::reply& r) {
  if (!typed)
    throw connection_error(std::string("the server's reply to ") + request
                           + " (id " + r.id + ") lacks a field or has an unreadable one");
  return std::move(*typed);
}

} // namespace

uint32_t connection::hello(const std::string& computer, const std::string& user,
                           const std::string& instance) {
  auto r = request("HELLO " + std::to_string(next_id_++) + " version=1 computer=" + computer
                   + " user=" + user + " instance=" + instance);
  return understood(proto::read_hello(r), "HELLO", r).ttl;
}

granted connection::checkout(const std::string& product, const std::string& computer,
                             const std::string& user) {
  return checkout(product, waiting{}, computer, user);
}

granted connection::checkout(const std::string& product, const waiting& w,
                             const std::string& computer, const std::string& user) {
  auto id = std::to_string(next_id_++);
  std::string line = "CHECKOUT " + id + " " + product;
  if (!computer.empty())
    line += " computer=" + computer;
  if (!user.empty())
    line += " user=" + user;
  if (w.wait.count() > 0)
    line += " wait=" + std::to_string(w.wait.count());
  send_raw(line + "\n");
  // The reply may take the whole wait: the server answers when a seat is granted or the wait
  // is over. Before it, a QUEUED line says the request waits in line.
  auto saved = timeout_;
  timeout_ += w.wait;
  proto::reply r;
  try {
    for (;;) {
      auto text = read_line();
      auto parsed = proto::parse_reply(text);
      if (!parsed)
        throw connection_error("the server sent an unreadable reply: " + text);
      if (!parsed->queued) {
        r = std::move(*parsed);
        break;
      }
      auto place = proto::read_queue_place(*parsed);
      if (!place || parsed->id != id)
        throw connection_error("the server sent an unexpected QUEUED line: " + text);
      if (w.on_queued)
        w.on_queued(place->position, place->waiting);
    }
  } catch (...) {
    timeout_ = saved;
    throw;
  }
  timeout_ = saved;
  if (!r.ok)
    throw refused(r.code, r.message);
  auto ok = understood(proto::read_checkout(r), "CHECKOUT", r);
  return granted{ok.lease.to_hex(), std::move(ok.product), ok.expires_in, ok.seats, ok.used};
}

uint32_t connection::renew(const std::string& lease) {
  auto r = request("RENEW " + std::to_string(next_id_++) + " " + lease);
  return understood(proto::read_renew(r), "RENEW", r).expires_in;
}

void connection::release(const std::string& lease) {
  auto r = request("RELEASE " + std::to_string(next_id_++) + " " + lease);
  understood(proto::read_release(r), "RELEASE", r);
}

std::vector<product_usage> connection::status(const std::string& product) {
  auto line = "STATUS " + std::to_string(next_id_++);
  if (!product.empty())
    line += " " + product;
  auto r = request(line);
  std::vector<product_usage> out;
  for (auto& p : understood(proto::read_status(r), "STATUS", r).products)
    out.push_back({std::move(p.product), p.seats, p.used});
  return out;
}

greeted connect_and_hello(const std::vector<std::string>& servers, const std::string& computer,
                          const std::string& user, const std::string& instance,
                          connection::duration timeout, const tls_options& tls) {
  std::vector<std::string> todo(servers.rbegin(), servers.rend()); // a stack: back is next
  std::vector<std::string> tried;
  std::string why = "no server given";
  while (!todo.empty()) {
    auto endpoint = std::move(todo.back());
    todo.pop_back();
    if (std::find(tried.begin(), tried.end(), endpoint) != tried.end())
      continue;
    tried.push_back(endpoint);
    try {
      auto [host, port] = parse_endpoint(endpoint);
      auto c = std::make_unique<connection>(host, port, timeout, tls);
      auto ttl = c->hello(computer, user, instance);
      return {std::move(c), endpoint, ttl};
    } catch (const tls_error&) {
      throw; // a certificate that does not pass is not a reason to try the next server
    } catch (const refused& e) {
      if (e.code() != engine::errc::not_leader)
        throw;
      why = endpoint + ": " + e.message();
      if (auto leader = net::protocol::leader_named(e.message()); !leader.empty())
        todo.push_back(leader);
    } catch (const connection_error& e) {
      why = e.what();
    } catch (const std::invalid_argument& e) {
      why = e.what();
    }
  }
  throw connection_error(why);
}

} // namespace licd::client
