// The programs' flags; see command_line.h.
#include "safekeeper/cli/command_line.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <boost/program_options.hpp>

#ifndef SK_VERSION
#define SK_VERSION "dev"
#endif

namespace sk::cli {
namespace po = boost::program_options;

struct CommandLine::Impl {
  std::string program;
  std::string synopsis;
  po::options_description flags{"options", 100, 50};
  po::variables_map values;
};

CommandLine::CommandLine(std::string program, std::string synopsis)
    : impl_(std::make_unique<Impl>()) {
  impl_->program = std::move(program);
  impl_->synopsis = std::move(synopsis);
}

CommandLine::~CommandLine() = default;

CommandLine& CommandLine::value(const char* name, const char* value_name, const char* help) {
  impl_->flags.add_options()(name, po::value<std::string>()->value_name(value_name), help);
  return *this;
}

CommandLine& CommandLine::toggle(const char* name, const char* help) {
  impl_->flags.add_options()(name, help);
  return *this;
}

void CommandLine::parse(int argc, char** argv) {
  impl_->flags.add_options()("help,h", "print this and exit")("version",
                                                              "print the version and exit");
  const po::positional_options_description no_operands;  // A stray word is a mistake.
  try {
    po::store(
        po::command_line_parser(argc, argv)
            .options(impl_->flags)
            .positional(no_operands)
            .style(po::command_line_style::unix_style & ~po::command_line_style::allow_guessing)
            .run(),
        impl_->values);
    po::notify(impl_->values);
  } catch (const po::error& e) {
    usage_error(e.what());
  }
  if (has("help")) {
    std::cout << "usage: " << impl_->program << " " << impl_->synopsis << "\n" << impl_->flags;
    std::exit(0);
  }
  if (has("version")) {
    std::cout << impl_->program << " " << SK_VERSION << "\n";
    std::exit(0);
  }
}

std::optional<std::string> CommandLine::get(const char* name) const {
  auto it = impl_->values.find(name);
  if (it == impl_->values.end()) {
    return std::nullopt;
  }
  return it->second.as<std::string>();
}

std::optional<std::uint64_t> CommandLine::get_unsigned(const char* name, bool positive) const {
  const std::optional<std::string> text = get(name);
  if (!text) {
    return std::nullopt;
  }
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || (*text)[0] == '-' || (positive && n == 0)) {
    usage_error("--" + std::string(name) + ": '" + *text + "' is not a " +
                (positive ? "positive" : "non-negative") + " integer");
  }
  return n;
}

std::optional<double> CommandLine::get_real(const char* name) const {
  const std::optional<std::string> text = get(name);
  if (!text) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double d = std::strtod(text->c_str(), &end);
  if (text->empty() || *end != '\0' || d < 0) {
    usage_error("--" + std::string(name) + ": '" + *text + "' is not a non-negative number");
  }
  return d;
}

bool CommandLine::has(const char* name) const {
  return impl_->values.count(name) > 0;
}

void CommandLine::usage_error(const std::string& message) const {
  std::fprintf(stderr, "%s: %s (see --help)\n", impl_->program.c_str(), message.c_str());
  std::exit(kExitUsage);
}

}  // namespace sk::cli
