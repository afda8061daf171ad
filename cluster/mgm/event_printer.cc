// cluster/mgm/event_printer.cc: event listening thread (see event_printer.h).
#include "cluster/mgm/event_printer.h"

#include <chrono>

#include "cluster/mgmapi/client.h"

namespace halb::cluster::mgm {

EventPrinter::EventPrinter(ConnectString connect, std::function<void(const std::string&)> print)
    : connect_(std::move(connect)), print_(std::move(print)), thread_([this] { run(); }) {}

EventPrinter::~EventPrinter() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void EventPrinter::run() {
  while (!stop_) {
    mgmapi::Client c;
    if (c.connect(connect_, 1)) {
      mgmapi::Message m("listen event");
      m.add("filter", "BACKUP=15 STARTUP=1").add("parsable", 0);
      auto r = c.call(m, 5);
      if (r && r->get_int("result").value_or(-1) == 0) {
        while (!stop_ && c.connected()) {
          auto line = c.receive_line(0.5);
          if (line && !line->empty() && *line != "<PING>") print_(*line);
        }
      }
    }
    // Wait before reconnecting, in small steps so the destructor is quick.
    for (int i = 0; i < 20 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace halb::cluster::mgm
