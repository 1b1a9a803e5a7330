// DigestSet: the explorer's visited set, 64-bit state digests in one open-addressing table
// (8 bytes a slot, at most half full), a fraction of what a node-based hash set costs per entry.
#pragma once

#include <cstdint>
#include <vector>

namespace sk::model {

class DigestSet {
 public:
  DigestSet() : slots_(1u << 20, 0) {}

  // True if `digest` was not in the set before.
  bool insert(std::uint64_t digest) {
    if (digest == 0) {
      digest = 1;  // 0 marks an empty slot.
    }
    if (2 * (count_ + 1) > slots_.size()) {
      grow();
    }
    if (!place(slots_, digest)) {
      return false;
    }
    ++count_;
    return true;
  }
  std::size_t size() const { return count_; }

 private:
  static bool place(std::vector<std::uint64_t>& slots, std::uint64_t digest) {
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = (digest ^ (digest >> 29)) & mask;; i = (i + 1) & mask) {
      if (slots[i] == digest) {
        return false;
      }
      if (slots[i] == 0) {
        slots[i] = digest;
        return true;
      }
    }
  }

  void grow() {
    std::vector<std::uint64_t> bigger(slots_.size() * 2, 0);
    for (std::uint64_t digest : slots_) {
      if (digest != 0) {
        place(bigger, digest);
      }
    }
    slots_.swap(bigger);
  }

  std::vector<std::uint64_t> slots_;
  std::size_t count_ = 0;
};

}  // namespace sk::model
