// cluster/mgm/event_printer.h: the events an interactive halb-mgm prints
// while it waits at the prompt.
//
// As ndb_mgm's event thread: a second connection to the management server
// asks `listen event` for BACKUP up to level 15 and STARTUP up to level 1,
// and every event line (`Node 2: Started (version 5.0.67)`, `Node 2: Node
// shutdown completed.`) is printed as it arrives. The thread reconnects
// while the server is away and ends when the printer is destroyed.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "cluster/config/connectstring.h"

namespace halb::cluster::mgm {

class EventPrinter {
 public:
  EventPrinter(ConnectString connect, std::function<void(const std::string& line)> print);
  ~EventPrinter();
  EventPrinter(const EventPrinter&) = delete;
  EventPrinter& operator=(const EventPrinter&) = delete;

 private:
  void run();
  ConnectString connect_;
  std::function<void(const std::string&)> print_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace halb::cluster::mgm
