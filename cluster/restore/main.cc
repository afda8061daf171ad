// cluster/restore/main.cc: halb-restore -- puts one data node's part of a
// backup back into a cluster (see restorer.h and halb-restore(1)).
#include <getopt.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "cluster/restore/restorer.h"
#include "lib/config/reader.h"
#include "lib/version/version.h"

using namespace halb::cluster;

namespace {

void usage(FILE* to) {
  fprintf(to,
          "usage: halb-restore -c CONNECTSTRING -n NODEID -b BACKUPID [-m] [-r] [options] [BACKUP_DIR]\n"
          "  -c, --ndb-connectstring=CS  management server(s) to get an API node id from\n"
          "  -n, --nodeid=N              the data node whose backup files to restore\n"
          "  -b, --backupid=N            the backup\n"
          "  -m, --restore_meta          create the tables (on the first run only)\n"
          "  -r, --restore_data          load the rows, then apply the log up to StopGCP\n"
          "  -p, --parallelism=N         connections writing at once (default 4; each takes an [API] slot)\n"
          "      --batch=N               rows per transaction (default 64)\n"
          "      --backup_path=DIR       where the files are (default: BACKUP_DIR, else .)\n"
          "      --print_meta, --print_data, --print_log, --print   show the files instead of restoring\n"
          "  -h, --help\n");
}

bool number(const char* text, uint32_t& out, uint32_t min = 0) {
  auto v = halb::config::parse_int(text ? text : "");
  if (!v || *v < static_cast<long long>(min) || *v > 0xFFFFFFFFLL) return false;
  out = static_cast<uint32_t>(*v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (halb::version::asked(argc, argv, halb::version::kShortV)) return halb::version::print("halb-restore");
  restore::RestoreOptions o;
  bool have_node = false, have_backup = false, have_path = false;
  enum { kPath = 1000, kPrint, kPrintMeta, kPrintData, kPrintLog, kBatch };
  static const option longs[] = {
      {"ndb-connectstring", required_argument, nullptr, 'c'},
      {"connectstring", required_argument, nullptr, 'c'},
      {"nodeid", required_argument, nullptr, 'n'},
      {"backupid", required_argument, nullptr, 'b'},
      {"restore_meta", no_argument, nullptr, 'm'},
      {"restore-meta", no_argument, nullptr, 'm'},
      {"restore_data", no_argument, nullptr, 'r'},
      {"restore-data", no_argument, nullptr, 'r'},
      {"parallelism", required_argument, nullptr, 'p'},
      {"batch", required_argument, nullptr, kBatch},
      {"backup_path", required_argument, nullptr, kPath},
      {"backup-path", required_argument, nullptr, kPath},
      {"print", no_argument, nullptr, kPrint},
      {"print_meta", no_argument, nullptr, kPrintMeta},
      {"print_data", no_argument, nullptr, kPrintData},
      {"print_log", no_argument, nullptr, kPrintLog},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "c:n:b:mrp:h", longs, nullptr)) != -1) {
    switch (c) {
      case 'c': o.connectstring = optarg; break;
      case 'n':
        if (!number(optarg, o.node_id, 1)) return fprintf(stderr, "halb-restore: bad node id '%s'\n", optarg), 2;
        have_node = true;
        break;
      case 'b':
        if (!number(optarg, o.backup_id, 1)) return fprintf(stderr, "halb-restore: bad backup id '%s'\n", optarg), 2;
        have_backup = true;
        break;
      case 'm': o.restore_meta = true; break;
      case 'r': o.restore_data = true; break;
      case 'p':
        if (!number(optarg, o.parallelism, 1)) return fprintf(stderr, "halb-restore: bad parallelism '%s'\n", optarg), 2;
        break;
      case kBatch:
        if (!number(optarg, o.batch, 1)) return fprintf(stderr, "halb-restore: bad batch '%s'\n", optarg), 2;
        break;
      case kPath:
        o.backup_path = optarg;
        have_path = true;
        break;
      case kPrint: o.print_meta = o.print_data = o.print_log = true; break;
      case kPrintMeta: o.print_meta = true; break;
      case kPrintData: o.print_data = true; break;
      case kPrintLog: o.print_log = true; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    if (argc - optind > 1 || have_path) {
      fprintf(stderr, "halb-restore: give the backup directory once\n");
      return 2;
    }
    o.backup_path = argv[optind];
  }
  if (!have_node || !have_backup) {
    fprintf(stderr, "halb-restore: -n NODEID and -b BACKUPID are required\n");
    usage(stderr);
    return 2;
  }
  if ((o.restore_meta || o.restore_data) && o.connectstring.empty()) {
    if (const char* env = getenv("NDB_CONNECTSTRING")) o.connectstring = env;
    else o.connectstring = "localhost:1186";
  }
  restore::RestoreResult r = restore::run_restore(o, std::cout);
  if (!r.ok) {
    std::cout << "Restore failed: " << r.error << std::endl << "NDBT_ProgramExit: 1 - Failed" << std::endl;
    return 1;
  }
  if (o.restore_data) {
    auto rate = [](double n, double s) { return s > 0 ? n / s : 0.0; };
    printf("Data: %llu rows, %.1f MB in %.2f s (%.0f rows/s, %.2f MB/s); log: %llu entries applied, %llu past StopGCP skipped, in %.2f s\n",
           static_cast<unsigned long long>(r.rows), r.data_bytes / 1e6, r.data_seconds, rate(r.rows, r.data_seconds),
           rate(r.data_bytes / 1e6, r.data_seconds), static_cast<unsigned long long>(r.log_entries),
           static_cast<unsigned long long>(r.log_skipped), r.log_seconds);
  }
  std::cout << std::endl << "NDBT_ProgramExit: 0 - OK" << std::endl;
  return 0;
}
