// Unit tests for the intrusive list (the real-server connection pool's idle lists).
#include "proxy/base/intrusive_list.h"

#include <catch2/catch.hpp>

#include <vector>

namespace {

struct Item {
  explicit Item(int v) : value(v) {}
  int value;
  espd::ListLink link;
};
using List = espd::IntrusiveList<Item, &Item::link>;

std::vector<int> values(const List& list) {
  std::vector<int> out;
  for (Item* item = list.front(); item; item = List::next(item))
    out.push_back(item->value);
  return out;
}

}  // namespace

TEST_CASE("push_front makes the newest the front and the oldest the back") {
  Item a(1), b(2), c(3);
  List list;
  CHECK(list.empty());
  CHECK(list.front() == nullptr);
  CHECK(list.pop_front() == nullptr);
  list.push_front(&a);
  list.push_front(&b);
  list.push_front(&c);
  CHECK(list.size() == 3);
  CHECK(values(list) == std::vector<int>{3, 2, 1});
  CHECK(list.front() == &c);
  CHECK(list.back() == &a);
  CHECK(List::linked(&b));
}

TEST_CASE("removing from the front, the middle and the back keeps the links right") {
  Item a(1), b(2), c(3), d(4);
  List list;
  for (Item* item : {&a, &b, &c, &d})
    list.push_front(item);
  list.remove(&c);  // middle
  CHECK(values(list) == std::vector<int>{4, 2, 1});
  CHECK_FALSE(List::linked(&c));
  list.remove(&a);  // back
  CHECK(list.back() == &b);
  CHECK(values(list) == std::vector<int>{4, 2});
  CHECK(list.pop_front() == &d);  // front
  CHECK(values(list) == std::vector<int>{2});
  list.remove(&b);
  CHECK(list.empty());
  CHECK(list.front() == nullptr);
  CHECK(list.back() == nullptr);
  list.push_front(&c);  // a removed element can be added again
  CHECK(values(list) == std::vector<int>{3});
}

TEST_CASE("a moved list takes the elements over") {
  Item a(1), b(2);
  List list;
  list.push_front(&a);
  list.push_front(&b);
  List moved(std::move(list));
  CHECK(list.empty());
  CHECK(values(moved) == std::vector<int>{2, 1});
}
