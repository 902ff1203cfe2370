// Bounded lock-free multi-producer queue (Vyukov's array queue) for log records.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace espd::log {

// Producers (workers, control and health threads) never block: push() fails when full.
// One consumer (the log writer thread) pops.
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity_power_of_two);

  bool push(std::string&& value);
  bool pop(std::string& value);
  // Consumer only: whether pop() would return a record now.
  bool has_record() const;
  size_t capacity() const { return mask_ + 1; }

 private:
  struct Cell {
    std::atomic<size_t> sequence;
    std::string value;
  };
  std::unique_ptr<Cell[]> cells_;
  size_t mask_;
  alignas(64) std::atomic<size_t> enqueue_{0};
  alignas(64) std::atomic<size_t> dequeue_{0};
};

}  // namespace espd::log
