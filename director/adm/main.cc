// director/adm/main.cc: halb-adm, ipvsadm's command line over a halb
// backend. Only wiring: halb's own options, the backend, then the
// command (director/adm/run.h).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "director/adm/backend_choice.h"
#include "director/adm/command.h"
#include "director/adm/names.h"
#include "director/adm/run.h"

using namespace halb::director::adm;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (args.empty()) args.push_back("halb-adm");
  BackendChoice choice;
  if (auto err = take_backend_options(args, choice, std::getenv("HALB_ADM_BACKEND"))) {
    std::cerr << *err << "\n";
    return 2;
  }
  SystemNames names;
  Io io{std::cout, std::cerr, std::cin};

  // Argument errors, -h and -v need no backend. A bare program name
  // lists the table.
  std::optional<Command> command;
  if (args.size() > 1) {
    auto parsed = parse_command(args, names);
    if (auto* exit = std::get_if<Exit>(&parsed)) {
      std::cout << exit->out;
      std::cerr << exit->err;
      return exit->status;
    }
    command = std::get<Command>(parsed);
  }

  std::unique_ptr<halb::director::backend::Backend> backend;
  // ipvsadm's ipvs_init: the table must be there and answer before any
  // command runs; ipvsadm exits 2 when it is not.
  try {
    backend = make_backend(choice);
  } catch (const std::exception& e) {
    std::cerr << "Can't initialize the virtual server table: " << e.what() << "\n";
    return 2;
  }
  try {
    backend->info();
  } catch (const std::exception& e) {
    std::cerr << "Can't initialize the virtual server table: " << e.what() << "\n";
    return 2;
  }
  int status = command ? run_command(*command, *backend, names, io, args[0]) : run_args(args, *backend, names, io);
  std::cout.flush();
  return status;
}
