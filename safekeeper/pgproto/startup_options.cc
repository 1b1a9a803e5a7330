// parse_startup_options; see startup_options.h.
#include "safekeeper/pgproto/startup_options.h"

#include <cctype>
#include <vector>

namespace sk::pgproto {
namespace {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      if (in_word) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
      continue;
    }
    in_word = true;
    if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (in_word) {
    words.push_back(std::move(word));
  }
  return words;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_startup_options(std::string_view options) {
  std::map<std::string, std::string> settings;
  const std::vector<std::string> words = split_words(options);
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string setting = words[i];
    if (setting == "-c") {
      if (i + 1 == words.size()) {
        return Error(ErrorCode::kInvalidArgument, "-c without a setting in options");
      }
      setting = words[++i];
    } else if (setting.starts_with("-c")) {
      setting = setting.substr(2);
    } else if (setting.starts_with("--")) {
      setting = setting.substr(2);
    }
    const std::size_t equals = setting.find('=');
    if (equals == std::string::npos || equals == 0 || setting[0] == '-') {
      return Error(ErrorCode::kInvalidArgument,
                   "invalid option \"" + words[i] + "\": expected -c name=value");
    }
    std::string name = setting.substr(0, equals);
    for (char& c : name) {
      c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    settings[name] = setting.substr(equals + 1);
  }
  return settings;
}

}  // namespace sk::pgproto
