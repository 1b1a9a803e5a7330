// Cluster events: each one runs the real Acceptor/Proposer code, applies Readys through SimDisk
// in the order ready.h prescribes, and reports elections and commit moves to the SafetyChecker.
#include "tests/sim/cluster.h"

#include <cstdio>

#include "consensus/state_digest.h"
#include "tests/sim/payload.h"

namespace sk::sim {

using namespace sk::consensus;

namespace {

constexpr Lsn kTimelineStart{0x1000000};  // 0/1000000: the start of the second 16 MiB segment.

std::string number(std::uint64_t value) {
  return std::to_string(value);
}

}  // namespace

TimelineIdentity sim_timeline_identity() {
  TimelineIdentity identity;
  identity.tenant_id = TenantId::parse_hex("5e0000000000000000000000000000a1").value();
  identity.timeline_id = TimelineId::parse_hex("5e0000000000000000000000000000b2").value();
  identity.system_id = 7300000000000000001ULL;
  identity.pg_version = 150004;
  identity.wal_seg_size_bytes = 16 * 1024 * 1024;
  identity.timeline_start_lsn = kTimelineStart;
  return identity;
}

std::string describe(const Envelope& envelope) {
  std::string text = number(envelope.from.value()) + "->" + number(envelope.to.value()) + " " +
                     std::string(message_name(envelope.message));
  const Message& message = envelope.message;
  if (const auto* m = std::get_if<AppendRequest>(&message)) {
    text += " t" + number(m->term.value()) + " [" + m->begin_lsn.to_string() + "," +
            m->end_lsn.to_string() + ") c" + m->commit_lsn.to_string();
  } else if (const auto* r = std::get_if<AppendResponse>(&message)) {
    text += " t" + number(r->term.value()) + " " + std::string(append_status_name(r->status)) +
            " f" + r->flush_lsn.to_string() + " c" + r->commit_lsn.to_string();
  } else if (const auto* v = std::get_if<VoteResponse>(&message)) {
    text += " t" + number(v->term.value()) + (v->vote_given ? " yes" : " no") + " f" +
            v->flush_lsn.to_string() + " h" + v->history.to_string();
  } else if (const auto* q = std::get_if<VoteRequest>(&message)) {
    text += " t" + number(q->term.value());
  } else if (const auto* e = std::get_if<ProposerElected>(&message)) {
    text += " t" + number(e->term.value()) + " start " + e->start_streaming_at.to_string() + " h" +
            e->history.to_string();
  } else if (const auto* g = std::get_if<AcceptorGreeting>(&message)) {
    text += " t" + number(g->term.value());
  } else if (const auto* rr = std::get_if<ReadWalRequest>(&message)) {
    text += " t" + number(rr->term.value()) + " [" + rr->begin_lsn.to_string() + "," +
            rr->end_lsn.to_string() + ")";
  } else if (const auto* rw = std::get_if<ReadWalResponse>(&message)) {
    text += " t" + number(rw->term.value()) + " [" + rw->begin_lsn.to_string() + "," +
            rw->end_lsn.to_string() + ")";
  }
  return text;
}

Cluster::Cluster(std::size_t acceptor_count, Mutation mutation)
    : mutation_(mutation), checker_(acceptor_count, kTimelineStart) {
  const AcceptorState initial = AcceptorState::for_new_timeline(sim_timeline_identity());
  for (std::size_t i = 0; i < acceptor_count; ++i) {
    const NodeId id(i + 1);
    acceptors_.push_back(
        SimAcceptor{id, SimDisk(initial, kTimelineStart), std::nullopt, kTimelineStart});
    acceptors_.back().live.emplace(id, initial, kTimelineStart, mutation);
  }
}

std::vector<NodeId> Cluster::acceptor_ids() const {
  std::vector<NodeId> ids;
  for (const SimAcceptor& acceptor : acceptors_) {
    ids.push_back(acceptor.id);
  }
  return ids;
}

std::vector<Envelope> Cluster::deliver(const Envelope& envelope, ReadyStage stage) {
  for (SimAcceptor& acceptor : acceptors_) {
    if (acceptor.id == envelope.to) {
      return deliver_to_acceptor(acceptor, envelope, stage);
    }
  }
  SimProposer* proposer = find_proposer(envelope.to);
  if (proposer == nullptr) {
    return {};  // It died while the message was in flight.
  }
  trace([&] { return describe(envelope); });
  Result<Ready> ready = proposer->proposer.step(envelope.from, envelope.message);
  if (!ready) {
    trace([&] { return "  proposer error: " + ready.error().to_string(); });
    return {};
  }
  std::vector<Envelope> out = outgoing(envelope.to, std::move(ready.value()));
  observe(*proposer);
  return out;
}

std::vector<Envelope> Cluster::deliver_to_acceptor(SimAcceptor& acceptor, const Envelope& envelope,
                                                   ReadyStage stage) {
  if (!acceptor.live) {
    return {};
  }
  trace([&] { return describe(envelope); });
  Result<Ready> ready = acceptor.live->step(envelope.from, envelope.message);
  if (!ready) {
    // The driver closes that connection; the proposer sees it drop.
    trace([&] { return "  acceptor error, connection closed: " + ready.error().to_string(); });
    if (SimProposer* proposer = find_proposer(envelope.from)) {
      return outgoing(envelope.from, proposer->proposer.disconnected(acceptor.id));
    }
    return {};
  }
  if (stage != ReadyStage::kAll) {
    acceptor.disk.apply(ready.value(), stage);
    trace([&] {
      return "  crash of " + number(acceptor.id.value()) + " while applying, at stage " +
             number(static_cast<std::uint64_t>(stage));
    });
    std::size_t index = static_cast<std::size_t>(&acceptor - acceptors_.data());
    return crash_acceptor(index);
  }
  acceptor.disk.apply(ready.value());
  std::vector<Envelope> out;
  for (Outbound& message : ready.value().messages) {
    if (message.attach_wal) {
      auto& response = std::get<ReadWalResponse>(message.message);
      response.wal = acceptor.disk.read(response.begin_lsn, response.end_lsn);
    }
    out.push_back(Envelope{acceptor.id, message.to, std::move(message.message)});
  }
  const Lsn commit = acceptor.live->commit_lsn();
  if (commit != acceptor.exposed_commit_lsn) {
    if (auto v = checker_.on_acceptor_commit(acceptor.id, acceptor.exposed_commit_lsn, commit,
                                             acceptor.live->history_up_to_flush())) {
      fail(*v);
    }
    acceptor.exposed_commit_lsn = commit;
  }
  return out;
}

std::vector<Envelope> Cluster::tick(std::size_t proposer_index) {
  SimProposer& proposer = proposers_[proposer_index];
  std::vector<Envelope> out = outgoing(proposer.proposer.id(), proposer.proposer.tick());
  observe(proposer);
  return out;
}

std::vector<Envelope> Cluster::propose(std::size_t proposer_index, std::uint64_t size_bytes) {
  SimProposer& proposer = proposers_[proposer_index];
  Proposer& p = proposer.proposer;
  std::vector<std::uint8_t> records(size_bytes);
  for (std::uint64_t i = 0; i < size_bytes; ++i) {
    records[i] = wal_byte(p.term(), p.end_lsn().plus_bytes(i));
  }
  trace([&] {
    return "propose " + number(p.id().value()) + " t" + number(p.term().value()) + " [" +
           p.end_lsn().to_string() + ", +" + number(size_bytes) + ")";
  });
  Result<Ready> ready = p.propose(records);
  if (!ready) {
    trace([&] {
      return "  refused: " + ready.error().to_string();
    });  // Back-pressure: too much uncommitted.
    return {};
  }
  std::vector<Envelope> out = outgoing(p.id(), std::move(ready.value()));
  observe(proposer);
  return out;
}

std::vector<Envelope> Cluster::crash_acceptor(std::size_t index) {
  SimAcceptor& acceptor = acceptors_[index];
  trace([&] { return "crash acceptor " + number(acceptor.id.value()); });
  ++acceptor_crashes_;
  acceptor.live.reset();
  acceptor.disk.crash();
  std::vector<Envelope> out;
  for (SimProposer& proposer : proposers_) {
    for (Envelope& e :
         outgoing(proposer.proposer.id(), proposer.proposer.disconnected(acceptor.id))) {
      out.push_back(std::move(e));
    }
  }
  return out;
}

void Cluster::restart_acceptor(std::size_t index) {
  SimAcceptor& acceptor = acceptors_[index];
  trace([&] {
    return "restart acceptor " + number(acceptor.id.value()) + " flush " +
           acceptor.disk.durable_end_lsn().to_string();
  });
  // A durable commit LSN beyond the durable WAL is reported by check() before this can run (the
  // real driver refuses to start on it as corruption).
  acceptor.live.emplace(acceptor.id, acceptor.disk.durable_state(), acceptor.disk.durable_end_lsn(),
                        mutation_);
}

std::vector<Envelope> Cluster::start_proposer(ProposerConfig config) {
  config.identity = sim_timeline_identity();
  if (config.configuration.members.empty()) {
    config.configuration = Configuration::of(acceptor_ids());
  }
  config.mutation = mutation_;
  trace([&] { return "start proposer " + number(config.proposer_id.value()); });
  proposers_.push_back(SimProposer{Proposer(std::move(config)), false, Lsn(0)});
  Proposer& p = proposers_.back().proposer;
  return outgoing(p.id(), p.start());
}

std::vector<Envelope> Cluster::restart_proposer(std::size_t index, ProposerConfig config) {
  config.identity = sim_timeline_identity();
  if (config.configuration.members.empty()) {
    config.configuration = Configuration::of(acceptor_ids());
  }
  config.mutation = mutation_;
  trace([&] { return "restart proposer " + number(config.proposer_id.value()); });
  proposers_[index] = SimProposer{Proposer(std::move(config)), false, Lsn(0)};
  Proposer& p = proposers_[index].proposer;
  return outgoing(p.id(), p.start());
}

bool Cluster::set_acceptor_configuration(std::size_t index, const Configuration& configuration) {
  SimAcceptor& acceptor = acceptors_[index];
  if (!acceptor.live) {
    return false;
  }
  Result<Ready> ready = acceptor.live->set_configuration(configuration);
  trace([&] {
    return "operator: acceptor " + number(acceptor.id.value()) + " to configuration " +
           configuration.describe() + (ready ? "" : ": refused, " + ready.error().to_string());
  });
  if (!ready) {
    return false;
  }
  acceptor.disk.apply(ready.value());
  return true;
}

void Cluster::remove_proposer(std::size_t index) {
  trace([&] { return "crash proposer " + number(proposers_[index].proposer.id().value()); });
  proposers_.erase(proposers_.begin() + static_cast<std::ptrdiff_t>(index));
}

std::vector<Envelope> Cluster::outgoing(NodeId from, Ready ready) const {
  std::vector<Envelope> out;
  for (Outbound& message : ready.messages) {
    out.push_back(Envelope{from, message.to, std::move(message.message)});
  }
  return out;
}

void Cluster::observe(SimProposer& proposer) {
  const Proposer& p = proposer.proposer;
  if (p.phase() == ProposerPhase::kElected && !proposer.announced_elected) {
    proposer.announced_elected = true;
    ++elections_;
    trace([&] {
      return "  " + number(p.id().value()) + " elected t" + number(p.term().value()) + " donor " +
             number(p.donor()->value()) + " start " + p.term_start_lsn().to_string() + " h" +
             p.history().to_string();
    });
    if (auto v = checker_.on_elected(p.id(), p.term(), p.history(), p.term_start_lsn())) {
      fail(*v);
    }
  }
  if (p.phase() == ProposerPhase::kFenced && proposer.announced_elected) {
    proposer.announced_elected = false;  // Counted once.
    ++fenced_;
    trace([&] { return "  " + number(p.id().value()) + " fenced"; });
  }
  if (p.commit_lsn() != proposer.last_commit_lsn) {
    trace([&] { return "  " + number(p.id().value()) + " commit " + p.commit_lsn().to_string(); });
    if (auto v = checker_.on_commit(p.id(), p.term(), p.history(), proposer.last_commit_lsn,
                                    p.commit_lsn())) {
      fail(*v);
    }
    proposer.last_commit_lsn = p.commit_lsn();
  }
}

std::vector<DurableAcceptorView> Cluster::durable_views() const {
  std::vector<DurableAcceptorView> views;
  for (const SimAcceptor& acceptor : acceptors_) {
    views.push_back(DurableAcceptorView{acceptor.id, &acceptor.disk.durable_state().history,
                                        acceptor.disk.durable_state().commit_lsn,
                                        acceptor.disk.wal_start_lsn(), &acceptor.disk.durable_wal(),
                                        acceptor.disk.durable_state().configuration.generation});
  }
  return views;
}

void Cluster::check() {
  if (violation_) {
    return;
  }
  std::vector<Lsn> verify_from;
  for (const SimAcceptor& acceptor : acceptors_) {
    verify_from.push_back(acceptor.disk.verified_up_to);
  }
  if (auto v = checker_.check_acceptors(durable_views(), verify_from)) {
    fail(*v);
    return;
  }
  for (SimAcceptor& acceptor : acceptors_) {
    acceptor.disk.verified_up_to = acceptor.disk.durable_end_lsn();
  }
}

void Cluster::check_log_matching() {
  if (auto v = checker_.check_log_matching(durable_views())) {
    fail(*v);
  }
}

void Cluster::fail(Violation violation) {
  if (violation_) {
    return;
  }
  trace([&] { return "VIOLATION " + violation.property + ": " + violation.detail; });
  violation_ = std::move(violation);
}

Cluster::SimProposer* Cluster::find_proposer(NodeId id) {
  for (SimProposer& proposer : proposers_) {
    if (proposer.proposer.id() == id) {
      return &proposer;
    }
  }
  return nullptr;
}

std::uint64_t Cluster::acceptor_digest(std::size_t index) const {
  const SimAcceptor& acceptor = acceptors_[index];
  StateDigest digest;
  digest.mix(acceptor.disk.digest());
  digest.mix(acceptor.exposed_commit_lsn.value());
  digest.mix(acceptor.live ? 1 : 0);
  if (acceptor.live) {
    const AcceptorState& state = acceptor.live->state();
    digest.mix(state.term.value());
    digest.mix(state.commit_lsn.value());
    digest.mix(state.truncate_lsn.value());
    digest.mix(state.configuration.digest());
    digest.mix(acceptor.live->flush_lsn().value());
    for (const TermSwitch& entry : state.history.entries()) {
      digest.mix(entry.term.value());
      digest.mix(entry.lsn.value());
    }
  }
  return digest.value();
}

std::uint64_t Cluster::proposer_digest(std::size_t index) const {
  const SimProposer& proposer = proposers_[index];
  StateDigest digest;
  digest.mix(proposer.proposer.common_digest());
  digest.mix(proposer.announced_elected ? 1 : 0);
  digest.mix(proposer.last_commit_lsn.value());
  return digest.value();
}

std::uint64_t Cluster::session_digest(std::size_t proposer_index,
                                      std::size_t acceptor_index) const {
  return proposers_[proposer_index].proposer.session_digest(acceptors_[acceptor_index].id);
}

std::uint64_t Cluster::checker_digest(std::span<const std::size_t> proposer_order) const {
  std::vector<NodeId> ids;
  ids.reserve(proposer_order.size());
  for (std::size_t index : proposer_order) {
    ids.push_back(proposers_[index].proposer.id());
  }
  return checker_.digest(ids);
}

std::uint64_t Cluster::digest() const {
  StateDigest digest;
  for (std::size_t a = 0; a < acceptors_.size(); ++a) {
    digest.mix(acceptor_digest(a));
    for (std::size_t p = 0; p < proposers_.size(); ++p) {
      digest.mix(session_digest(p, a));
    }
  }
  std::vector<std::size_t> order;
  for (std::size_t p = 0; p < proposers_.size(); ++p) {
    digest.mix(proposer_digest(p));
    order.push_back(p);
  }
  digest.mix(checker_digest(order));
  return digest.value();
}

}  // namespace sk::sim
