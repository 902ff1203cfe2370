// Bounded lock-free multi-producer queue for log records.
#include "proxy/log/bounded_queue.h"

namespace espd::log {

BoundedQueue::BoundedQueue(size_t capacity) : cells_(new Cell[capacity]), mask_(capacity - 1) {
  for (size_t i = 0; i < capacity; ++i)
    cells_[i].sequence.store(i, std::memory_order_relaxed);
}

bool BoundedQueue::push(std::string&& value) {
  size_t position = enqueue_.load(std::memory_order_relaxed);
  for (;;) {
    Cell& cell = cells_[position & mask_];
    size_t sequence = cell.sequence.load(std::memory_order_acquire);
    intptr_t diff = static_cast<intptr_t>(sequence) - static_cast<intptr_t>(position);
    if (diff == 0) {
      if (enqueue_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) {
        cell.value = std::move(value);
        cell.sequence.store(position + 1, std::memory_order_release);
        return true;
      }
    } else if (diff < 0) {
      return false;  // full
    } else {
      position = enqueue_.load(std::memory_order_relaxed);
    }
  }
}

bool BoundedQueue::pop(std::string& value) {
  size_t position = dequeue_.load(std::memory_order_relaxed);
  Cell& cell = cells_[position & mask_];
  size_t sequence = cell.sequence.load(std::memory_order_acquire);
  if (static_cast<intptr_t>(sequence) - static_cast<intptr_t>(position + 1) < 0) return false;
  dequeue_.store(position + 1, std::memory_order_relaxed);
  value = std::move(cell.value);
  cell.value.clear();
  cell.sequence.store(position + mask_ + 1, std::memory_order_release);
  return true;
}

bool BoundedQueue::has_record() const {
  size_t position = dequeue_.load(std::memory_order_relaxed);
  return cells_[position & mask_].sequence.load(std::memory_order_acquire) == position + 1;
}

}  // namespace espd::log
