// BranchExpiry; see branch_expiry.h.
#include "safekeeper/branchlog/branch_expiry.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "safekeeper/log/log.h"

namespace sk::safekeeper {

struct BranchExpiry::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, BranchCommandRunner& r, const BranchLogWriter& w)
      : timer(io), runner(r), writer(w) {}

  void arm() {
    timer.expires_after(kInterval);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->stopped) {
        self->sweep();
      }
    });
  }

  // One deletion at a time: the next sweep starts once this one is answered.
  void sweep() {
    if (writer.status().phase != "elected") {
      arm();
      return;
    }
    runner.change(
        [](BranchCommands& commands) { return commands.delete_expired(); },
        [self = shared_from_this()](const BranchCommands&, Result<branchmgr::Object> object) {
          if (!object) {
            log_warn("expiring a branch: " + object.error().to_string());
          } else if (const auto* branch = std::get_if<branchmgr::Branch>(&*object)) {
            log_info("branch '" + branch->name + "' of tenant " + branch->tenant_id.to_hex() +
                     " expired and was deleted");
          }
          // Called on the worker thread: the timer is the I/O thread's.
          boost::asio::post(self->timer.get_executor(), [self] {
            if (!self->stopped) {
              self->arm();
            }
          });
        });
  }

  boost::asio::steady_timer timer;
  BranchCommandRunner& runner;
  const BranchLogWriter& writer;
  bool stopped = false;
};

BranchExpiry::BranchExpiry(boost::asio::io_context& io, BranchCommandRunner& runner,
                           const BranchLogWriter& writer)
    : impl_(std::make_shared<Impl>(io, runner, writer)) {}

BranchExpiry::~BranchExpiry() = default;

void BranchExpiry::start() {
  impl_->arm();
}

void BranchExpiry::stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

}  // namespace sk::safekeeper
