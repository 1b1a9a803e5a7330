// The HTTP API's JSON request bodies (and list pages' query strings): the first byte picks the
// parser, the rest is the body. Every parser must answer a value or an error, whatever it gets.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "safekeeper/server/branch_requests.h"
#include "safekeeper/server/request_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  namespace server = sk::safekeeper;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      (void)server::parse_create_timeline("0123456789abcdef0123456789abcdef", body);
      break;
    case 1:
      (void)server::parse_create_tenant(body);
      break;
    case 2:
      (void)server::parse_tenant_settings(body);
      break;
    case 3:
      (void)server::parse_branch_settings(body);
      break;
    case 4:
      (void)server::parse_create_branch(body);
      break;
    case 5:
      (void)server::parse_restore_branch(body);
      break;
    case 6:
      (void)server::parse_register_snapshot(body);
      break;
    case 7:
      (void)server::parse_page(body);
      (void)server::query_parameter(body, "cursor");
      break;
    default:
      (void)server::path_segments(body);
      (void)server::check_branch_name(body);
      break;
  }
  return 0;
}
