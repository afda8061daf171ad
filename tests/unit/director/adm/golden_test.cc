// tests/unit/director/adm/golden_test.cc: halb-adm against ipvsadm 1.31's
// own output. Each case of data/adm/cases.txt runs one command line on a
// FakeBackend loaded with the case's table; stdout, stderr, the exit
// status and the changes asked of the backend must equal what the real
// ipvsadm printed and asked (data/adm/golden/, made by oracle/regen-goldens).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "director/adm/run.h"
#include "tests/unit/director/adm/fake_backend.h"
#include "tests/unit/director/adm/fake_names.h"

namespace halb::director::adm {
namespace {

const std::string kData = std::string(HALB_TEST_DATA) + "/adm/";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  std::string name, table, input, args;
  int err = 0;
};

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::istringstream in(slurp(kData + "cases.txt"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    size_t start = 0;
    for (int i = 0; i < 4; i++) {
      size_t bar = line.find('|', start);
      f.push_back(line.substr(start, bar - start));
      start = bar + 1;
    }
    f.push_back(line.substr(start));
    cases.push_back(Case{f[0], f[1], f[3], f[4], std::stoi(f[2])});
  }
  return cases;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name << ": ipvsadm " << c.args; }

class Golden : public ::testing::TestWithParam<Case> {};

TEST_P(Golden, MatchesIpvsadm) {
  const Case& c = GetParam();
  testing::FakeBackend backend;
  backend.load(slurp(kData + "tables/" + c.table + ".tbl"));
  backend.fail_errno = c.err;
  backend.checks = false;
  testing::FakeNames names;
  std::ostringstream out, err;
  std::istringstream in(c.input == "-" ? "" : slurp(kData + "input/" + c.input));
  Io io{out, err, in};
  std::vector<std::string> args{"ipvsadm"};
  std::istringstream words(c.args);
  for (std::string w; words >> w;) args.push_back(w);

  int status = run_args(args, backend, names, io);

  const std::string g = kData + "golden/" + c.name;
  EXPECT_EQ(out.str(), slurp(g + ".out"));
  EXPECT_EQ(err.str(), slurp(g + ".err"));
  EXPECT_EQ(status, std::stoi(slurp(g + ".status")));
  std::string log;
  for (auto& l : backend.log) log += l + "\n";
  EXPECT_EQ(log, slurp(g + ".log"));
}

INSTANTIATE_TEST_SUITE_P(Ipvsadm131, Golden, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace halb::director::adm
