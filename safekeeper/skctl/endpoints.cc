// Endpoints; see endpoints.h.
#include "safekeeper/skctl/endpoints.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "safekeeper/skctl/local_process.h"
#include "safekeeper/skctl/secret_file.h"

namespace sk::skctl {
namespace fs = std::filesystem;
namespace json = boost::json;

std::string Endpoint::connection_uri(const fs::path& passfile) const {
  std::string encoded;
  for (const unsigned char c : passfile.string()) {
    if (std::isalnum(c) != 0 ||
        std::string_view("-._~/").find(static_cast<char>(c)) != std::string_view::npos) {
      encoded += static_cast<char>(c);
    } else {
      constexpr std::string_view kHex = "0123456789ABCDEF";
      encoded += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port) +
         "/postgres?passfile=" + encoded;
}

std::vector<Endpoint> Endpoints::all() const {
  std::vector<Endpoint> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code parse_error;
    const json::value v = json::parse(text.str(), parse_error);
    if (parse_error || !v.is_object()) {
      continue;
    }
    const json::object& o = v.get_object();
    auto str = [&](const char* key) {
      const auto* f = o.if_contains(key);
      return f != nullptr && f->is_string() ? std::string(f->get_string()) : std::string();
    };
    auto num = [&](const char* key) {
      const auto* f = o.if_contains(key);
      return f != nullptr && f->is_int64() ? f->get_int64() : 0;
    };
    out.push_back(Endpoint{
        str("kind"), str("tenant_id"), str("branch"), str("timeline_id"), str("pgdata"),
        static_cast<int>(num("port")), static_cast<pid_t>(num("postgres_pid")),
        static_cast<pid_t>(num("walproposer_pid")), static_cast<pid_t>(num("snapshot_agent_pid"))});
  }
  return out;
}

Status Endpoints::save(const Endpoint& e) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  const json::object o{{"kind", e.kind},
                       {"tenant_id", e.tenant_id},
                       {"branch", e.branch},
                       {"timeline_id", e.timeline_id},
                       {"pgdata", e.pgdata.string()},
                       {"port", e.port},
                       {"postgres_pid", e.postgres_pid},
                       {"walproposer_pid", e.walproposer_pid},
                       {"snapshot_agent_pid", e.snapshot_agent_pid}};
  const fs::path path = dir_ / (std::to_string(e.port) + ".json");
  const fs::path temp = dir_ / (std::to_string(e.port) + ".json.tmp");
  {
    std::ofstream out(temp, std::ios::trunc);
    out << json::serialize(o) << "\n";
    if (!out.flush()) {
      return Error(ErrorCode::kIoError, "cannot write " + temp.string());
    }
  }
  fs::rename(temp, path, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot write " + path.string() + ": " + ec.message());
  }
  return {};
}

Status Endpoints::remove(const Endpoint& e) const {
  std::error_code ec;
  fs::remove(dir_ / (std::to_string(e.port) + ".json"), ec);
  return {};
}

Result<fs::path> Endpoints::log_dir(int port) const {
  const fs::path dir = dir_ / std::to_string(port);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot create " + dir.string() + ": " + ec.message());
  }
  return dir;
}

Result<fs::path> Endpoints::private_dir(int port) const {
  const fs::path dir = dir_ / std::to_string(port) / "private";
  if (Status s = make_private_dir(dir); !s) {
    return s.error();
  }
  if (Status s = hand_to_postgres(dir); !s) {
    return s.error();
  }
  return dir;
}

}  // namespace sk::skctl
