// director/adm/popt_lexer.h: splits a command line the way libpopt does
// for ipvsadm's option table.
//
// ipvsadm's grammar is popt's: long options as --name, --name=value or
// --name value; short options clustered (-Ln) with a value glued on or in
// the next word (-t1.2.3.4:80, -t 1.2.3.4:80); an optional value (-p) is
// only taken from the next word when that word does not start with '-';
// words that are not options are kept, in order, for the caller (--set's
// three timeouts); "--" ends the options. Errors carry popt's own words
// and the word that caused them, which ipvsadm prints as "WORD: ERROR".
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace halb::director::adm {

enum class ArgKind { none, required, optional };

struct OptionSpec {
  const char* long_name;  // nullptr: short form only
  char short_name;        // 0: long form only
  ArgKind arg;
  int tag;                // what the lexer returns for this option
};

struct Token {
  enum Kind { option, end, failed } kind = end;
  int tag = 0;
  std::optional<std::string> value;
  std::string word;   // the command-line word being read (for messages)
  std::string error;  // popt's message: "unknown option", "missing argument", ...
};

class PoptLexer {
 public:
  // args[0] is the program name and is skipped.
  PoptLexer(const std::vector<std::string>& args, std::span<const OptionSpec> table)
      : args_(args), table_(table) {}

  // The next option, the end, or an error (after which the caller stops).
  Token next();
  // The words that were not options, in order; complete after next()
  // returned Token::end.
  const std::vector<std::string>& leftovers() const { return leftovers_; }

 private:
  const OptionSpec* find_long(const std::string& name) const;
  const OptionSpec* find_short(char c) const;
  Token with_value(const OptionSpec& spec, const std::string& word);

  const std::vector<std::string>& args_;
  std::span<const OptionSpec> table_;
  size_t next_ = 1;
  std::string cluster_;       // short options still to read from cluster_word_
  std::string cluster_word_;
  bool options_done_ = false;
  std::vector<std::string> leftovers_;
};

}  // namespace halb::director::adm
