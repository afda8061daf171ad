// director/lvsd/forward/context.h: what every connection of one worker
// thread shares: the worker's loop, the shared table, the logger and the
// forwarding settings.
#pragma once

#include <vector>

#include "director/lvsd/forward/buffer_pool.h"
#include "director/lvsd/forward/pipe_pool.h"
#include "director/lvsd/shared_table.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"

namespace halb::director::lvsd {

struct ForwardSettings {
  double connect_timeout = 5.0;  // seconds for a dest to accept
  std::vector<int> cpus;         // worker i runs on cpus[i]; empty: no affinity
};

struct WorkerContext {
  event::Loop& loop;
  SharedTable& shared;
  log::Logger& logger;
  ForwardSettings settings;
  PipePool pipes;
  BufferPool buffers;
};

}  // namespace halb::director::lvsd
