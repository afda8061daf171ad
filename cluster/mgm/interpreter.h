// cluster/mgm/interpreter.h: runs halb-mgm commands against a management
// server and prints ndb_mgm's replies.
//
// The connection is made on the first command that needs one (printing
// "Connected to Management Server at: host:port"), trying the connectstring's
// servers in order, `try_reconnect` times, `retry_delay_s` apart. A command
// whose connection breaks reconnects once before giving up.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "cluster/config/connectstring.h"
#include "cluster/mgm/command.h"
#include "cluster/mgmapi/client.h"

namespace halb::cluster::mgm {

struct InterpreterOptions {
  ConnectString connect;
  int try_reconnect = 3;   // attempts per connection; 0 = until one succeeds
  double retry_delay_s = 5;
  double command_timeout_s = 180;  // STOP/SHUTDOWN wait for the nodes
  double backup_timeout_s = 24 * 3600;  // START BACKUP WAIT COMPLETED
  // Interactive: an EventPrinter already prints every BACKUP event, so
  // START BACKUP does not print them a second time.
  bool events_printed_elsewhere = false;
};

class Interpreter {
 public:
  Interpreter(InterpreterOptions options, std::ostream& out);
  // Runs one line. Returns false when the line was QUIT.
  bool execute(const std::string& line);
  // 0 while every command succeeded, 1 after one failed.
  int status() const { return status_; }

 private:
  bool ensure_connected();
  std::optional<mgmapi::Message> call(const mgmapi::Message& m, double timeout_s = 30);
  void run(const Command& c);
  void show();
  void status_cmd(const Command& c);
  void stop(const Command& c);
  void restart(const Command& c);
  void start(const Command& c);
  void shutdown();
  void clusterlog(const Command& c);
  void clusterlog_info();
  void node_clusterlog(const Command& c);
  void single_user(const Command& c, bool enter);
  void report_memory(const Command& c);
  void purge();
  void start_backup(const Command& c);
  void abort_backup(const Command& c);
  void connect_cmd(const Command& c);
  std::vector<uint32_t> data_nodes();
  void failed() { status_ = 1; }

  InterpreterOptions options_;
  std::ostream& out_;
  mgmapi::Client client_;
  int status_ = 0;
};

}  // namespace halb::cluster::mgm
