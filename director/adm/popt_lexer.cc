// director/adm/popt_lexer.cc: see popt_lexer.h.
#include "director/adm/popt_lexer.h"

#include <cstring>

namespace halb::director::adm {

const OptionSpec* PoptLexer::find_long(const std::string& name) const {
  for (const auto& o : table_)
    if (o.long_name && name == o.long_name) return &o;
  return nullptr;
}

const OptionSpec* PoptLexer::find_short(char c) const {
  for (const auto& o : table_)
    if (o.short_name && o.short_name == c) return &o;
  return nullptr;
}

// The value of an option whose value was not glued to it: the next word,
// except that an optional value is never a word starting with '-'.
Token PoptLexer::with_value(const OptionSpec& spec, const std::string& word) {
  Token t{Token::option, spec.tag, std::nullopt, word, {}};
  if (spec.arg == ArgKind::none) return t;
  if (next_ >= args_.size()) {
    if (spec.arg == ArgKind::optional) return t;
    return Token{Token::failed, 0, std::nullopt, word, "missing argument"};
  }
  if (spec.arg == ArgKind::optional && args_[next_].size() > 0 && args_[next_][0] == '-') return t;
  t.value = args_[next_++];
  return t;
}

Token PoptLexer::next() {
  for (;;) {
    if (!cluster_.empty()) {
      char c = cluster_[0];
      cluster_.erase(0, 1);
      const OptionSpec* spec = find_short(c);
      if (!spec) {
        cluster_.clear();
        return Token{Token::failed, 0, std::nullopt, cluster_word_, "unknown option"};
      }
      if (spec->arg != ArgKind::none && !cluster_.empty()) {
        Token t{Token::option, spec->tag, cluster_, cluster_word_, {}};
        cluster_.clear();
        return t;
      }
      return with_value(*spec, cluster_word_);
    }
    if (next_ >= args_.size()) return Token{};
    const std::string& w = args_[next_++];
    if (options_done_ || w.size() < 2 || w[0] != '-') {
      leftovers_.push_back(w);
      continue;
    }
    if (w == "--") {
      options_done_ = true;
      continue;
    }
    if (w[1] == '-') {
      std::string name = w.substr(2);
      std::optional<std::string> glued;
      if (auto eq = name.find('='); eq != std::string::npos) {
        glued = name.substr(eq + 1);
        name.resize(eq);
      }
      const OptionSpec* spec = find_long(name);
      if (!spec) return Token{Token::failed, 0, std::nullopt, w, "unknown option"};
      if (glued) {
        if (spec->arg == ArgKind::none)
          return Token{Token::failed, 0, std::nullopt, w, "option does not take an argument"};
        return Token{Token::option, spec->tag, glued, w, {}};
      }
      return with_value(*spec, w);
    }
    cluster_word_ = w;
    cluster_ = w.substr(1);
  }
}

}  // namespace halb::director::adm
