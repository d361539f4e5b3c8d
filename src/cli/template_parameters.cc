#include "cli/template_parameters.h"

#include <algorithm>
#include <cctype>

namespace tw::cli {
namespace {

// CloudFormation's logical-ID rule, which parameter names follow:
// alphanumeric, at most 255 characters.
std::string CheckParameter(const std::string& text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos) {
    return "'" + text + "' is not KEY=VALUE (e.g. --parameter AlarmEmail=ops@example.com)";
  }
  const std::string key = text.substr(0, eq);
  if (key.empty() || key.size() > 255 || !std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c));
      })) {
    return "'" + key + "' is not a parameter name (letters and digits, at most 255)";
  }
  return "";
}

}  // namespace

void AddParameterOption(CLI::App* command, std::map<std::string, std::string>* parameters) {
  command
      ->add_option_function<std::vector<std::string>>(
          "--parameter",
          [parameters](const std::vector<std::string>& values) {
            for (const std::string& v : values) {
              const std::size_t eq = v.find('=');
              (*parameters)[v.substr(0, eq)] = v.substr(eq + 1);
            }
          },
          "KEY=VALUE: the value of the template parameter KEY, in place of its Default "
          "(repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false)
      ->check(CheckParameter);
}

}  // namespace tw::cli
