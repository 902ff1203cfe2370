// A doubly linked list threaded through its elements: adding and removing allocate nothing, and
// an element removes itself in O(1) without a lookup.
#pragma once

#include <cstddef>

namespace espd {

// Embedded in an element; an element is in at most one list per link.
struct ListLink {
  void* prev = nullptr;
  void* next = nullptr;
  bool linked = false;
};

template <typename T, ListLink T::*Link>
class IntrusiveList {
 public:
  IntrusiveList() = default;
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;
  IntrusiveList(IntrusiveList&& other) noexcept
      : front_(other.front_), back_(other.back_), size_(other.size_) {
    other.front_ = other.back_ = nullptr;
    other.size_ = 0;
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  T* front() const { return front_; }
  T* back() const { return back_; }
  static bool linked(const T* item) { return (item->*Link).linked; }
  static T* next(const T* item) { return static_cast<T*>((item->*Link).next); }

  void push_front(T* item) {
    ListLink& link = item->*Link;
    link.prev = nullptr;
    link.next = front_;
    link.linked = true;
    if (front_) (front_->*Link).prev = item;
    front_ = item;
    if (!back_) back_ = item;
    ++size_;
  }

  // `item` must be in this list.
  void remove(T* item) {
    ListLink& link = item->*Link;
    T* prev = static_cast<T*>(link.prev);
    T* next = static_cast<T*>(link.next);
    if (prev) {
      (prev->*Link).next = next;
    } else {
      front_ = next;
    }
    if (next) {
      (next->*Link).prev = prev;
    } else {
      back_ = prev;
    }
    link = ListLink{};
    --size_;
  }

  T* pop_front() {
    T* item = front_;
    if (item) remove(item);
    return item;
  }

 private:
  T* front_ = nullptr;
  T* back_ = nullptr;
  size_t size_ = 0;
};

}  // namespace espd
