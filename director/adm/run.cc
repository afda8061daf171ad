// director/adm/run.cc: see run.h.
#include "director/adm/run.h"

#include <exception>
#include <optional>

#include "director/adm/errors.h"
#include "director/adm/listing.h"

namespace halb::director::adm {

using backend::BackendError;
using backend::Protocol;
using backend::ServiceKey;
using backend::ServiceStatus;

namespace {

bool same_service(const ServiceKey& a, const ServiceKey& b) {
  if (a.protocol != b.protocol) return false;
  if (a.protocol == Protocol::fwmark) return a.fwmark == b.fwmark && a.family == b.family;
  return a.addr == b.addr && a.port == b.port;
}

bool is_any(const IpAddress& a) {
  for (auto b : a.bytes)
    if (b) return false;
  return true;
}

// A listing: its text on success; on failure ipvsadm's words and status 1.
template <class F>
int list(Io& io, Call call, F&& produce) {
  try {
    io.out << produce();
    return 0;
  } catch (const BackendError& e) {
    io.err << error_text(call, e.err(), e.what()) << "\n";
  } catch (const std::exception& e) {
    io.err << e.what() << "\n";
  }
  return 1;
}

// A change: nothing on success; on failure ipvsadm's words and 255.
template <class F>
int change(Io& io, Call call, F&& apply) {
  try {
    apply();
    return 0;
  } catch (const BackendError& e) {
    io.err << error_text(call, e.err(), e.what()) << "\n";
  } catch (const std::exception& e) {
    io.err << e.what() << "\n";
  }
  return 255;
}

int run_list(const Command& c, backend::Backend& b, Names& names, Io& io) {
  if (c.has(kOptConnection))
    return list(io, Call::other, [&] { return format_connections(b.connections(), c.format, names); });
  if (c.has(kOptService)) {
    return list(io, Call::get_service, [&] {
      for (auto& s : b.services())
        if (same_service(s.service.key, c.service.key)) return format_one_service(std::move(s), c.format, names);
      throw BackendError(ESRCH, "No such service");
    });
  }
  if (c.has(kOptTimeout)) return list(io, Call::other, [&] { return format_timeouts(b.timeouts()); });
  if (c.has(kOptDaemon)) return list(io, Call::other, [&] { return format_daemons(b.daemons()); });
  return list(io, Call::get_services, [&] { return format_table(b.info(), b.services(), c.format, names); });
}

}  // namespace

int run_command(const Command& c, backend::Backend& b, Names& names, Io& io, const std::string& program) {
  const ServiceKey& key = c.service.key;
  switch (c.cmd) {
    case Cmd::list: return run_list(c, b, names, io);
    case Cmd::save: {
      ListFormat f = c.format;
      f.rule = true;
      return list(io, Call::get_services, [&] { return format_table(b.info(), b.services(), f, names); });
    }
    case Cmd::restore: return restore(b, names, io, program);
    case Cmd::flush: return change(io, Call::other, [&] { b.flush(); });
    case Cmd::add_service: return change(io, Call::add_service, [&] { b.add_service(c.service); });
    case Cmd::edit_service: return change(io, Call::edit_service, [&] { b.edit_service(c.service); });
    case Cmd::del_service: return change(io, Call::del_service, [&] { b.del_service(key); });
    case Cmd::zero: {
      // Like libipvs: an all-zero service (no -t/-u/-f) means every service.
      std::optional<ServiceKey> which;
      if (key.protocol == Protocol::fwmark || !is_any(key.addr) || key.port) which = key;
      return change(io, Call::zero, [&] { b.zero(which); });
    }
    case Cmd::add_dest: return change(io, Call::add_dest, [&] { b.add_dest(key, c.dest); });
    case Cmd::edit_dest: return change(io, Call::edit_dest, [&] { b.edit_dest(key, c.dest); });
    case Cmd::del_dest: return change(io, Call::del_dest, [&] { b.del_dest(key, c.dest); });
    case Cmd::set_timeouts: return change(io, Call::other, [&] { b.set_timeouts(c.timeouts); });
    case Cmd::start_daemon: return change(io, Call::start_daemon, [&] { b.start_daemon(c.daemon); });
    case Cmd::stop_daemon: return change(io, Call::stop_daemon, [&] { b.stop_daemon(c.daemon.role); });
    case Cmd::none:
    case Cmd::help:
    case Cmd::version: break;
  }
  return 0;
}

int run_args(const std::vector<std::string>& args, backend::Backend& b, Names& names, Io& io, bool reading_stdin) {
  const std::string program = args.empty() ? "halb-adm" : args[0];
  if (args.size() <= 1) return list(io, Call::get_services, [&] {
    return format_table(b.info(), b.services(), ListFormat{}, names);
  });
  auto parsed = parse_command(args, names, reading_stdin);
  if (auto* exit = std::get_if<Exit>(&parsed)) {
    io.out << exit->out;
    io.err << exit->err;
    return exit->status;
  }
  return run_command(std::get<Command>(parsed), b, names, io, program);
}

std::vector<std::string> restore_words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && word != "ipvsadm" && word != "halb-adm") words.push_back(word);
    word.clear();
  };
  for (char ch : line) {
    if (ch == '#') break;
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
      flush();
    } else {
      word += ch;
    }
  }
  flush();
  return words;
}

int restore(backend::Backend& b, Names& names, Io& io, const std::string& program) {
  int status = 0;
  std::string line;
  while (std::getline(io.in, line)) {
    std::vector<std::string> args{program};
    for (auto& w : restore_words(line)) args.push_back(std::move(w));
    if (args.size() <= 1) continue;
    auto parsed = parse_command(args, names, true);
    if (auto* exit = std::get_if<Exit>(&parsed)) {
      io.out << exit->out;
      io.err << exit->err;
      if (!exit->resumable) return exit->status;
      status = exit->status;
      continue;
    }
    status = run_command(std::get<Command>(parsed), b, names, io, program);
  }
  return status;
}

}  // namespace halb::director::adm
