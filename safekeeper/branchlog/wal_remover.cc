// WalRemover; see wal_remover.h.
#include "safekeeper/branchlog/wal_remover.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "branchmgr/removal_horizon.h"
#include "safekeeper/log/log.h"

namespace sk::safekeeper {

struct WalRemover::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, Node& n, const BranchCommands& c, CommitTimeIndexer& i,
       PostToWorker post, std::chrono::seconds every)
      : timer(io),
        node(n),
        commands(c),
        commit_times(i),
        post_to_worker(std::move(post)),
        interval(every) {}

  void arm() {
    timer.expires_after(interval);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped) {
        return;
      }
      self->post_to_worker([self] {
        self->remove_once();
        boost::asio::post(self->timer.get_executor(), [self] {
          if (!self->stopped) {
            self->arm();
          }
        });
      });
    });
  }

  void remove_once() {
    for (const storage::TimelineKey& key : node.timelines()) {
      const Timeline* timeline = node.timeline(key);
      if (timeline == nullptr || timeline->failure()) {
        continue;  // Stopped by a storage error: nothing is removed until it is reopened.
      }
      const std::optional<branchmgr::RemovalInputs> inputs = commands.removal_inputs(key);
      if (!inputs) {
        continue;
      }
      const branchmgr::HeldFrom horizon = branchmgr::removal_horizon(*inputs);
      Result<std::size_t> removed = node.remove_wal_below(key, horizon.lsn);
      if (!removed) {
        log_error("removing WAL of timeline " + storage::timeline_name(key) + " below " +
                  horizon.lsn.to_string() + ": " + removed.error().to_string());
        continue;
      }
      if (const std::optional<consensus::Lsn> kept = node.first_held_lsn(key)) {
        commit_times.forget_below(key, *kept);
      }
      if (*removed > 0) {
        log_info("timeline " + storage::timeline_name(key) + ": removed " +
                 std::to_string(*removed) + " WAL segments; WAL is kept from " +
                 node.first_held_lsn(key).value_or(consensus::Lsn()).to_string() + " (held by " +
                 horizon.holder + " at " + horizon.lsn.to_string() + ")");
      }
    }
  }

  boost::asio::steady_timer timer;
  Node& node;
  const BranchCommands& commands;
  CommitTimeIndexer& commit_times;
  PostToWorker post_to_worker;
  std::chrono::seconds interval;
  bool stopped = false;
};

WalRemover::WalRemover(boost::asio::io_context& io, Node& node, const BranchCommands& commands,
                       CommitTimeIndexer& commit_times, PostToWorker post_to_worker,
                       std::chrono::seconds interval)
    : impl_(std::make_shared<Impl>(io, node, commands, commit_times, std::move(post_to_worker),
                                   interval)) {}

WalRemover::~WalRemover() = default;

void WalRemover::start() {
  if (impl_->interval.count() > 0) {
    impl_->arm();
  }
}

void WalRemover::stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

void WalRemover::remove_once() {
  impl_->remove_once();
}

}  // namespace sk::safekeeper
