// Operational records of the "espd" log stream.
#include "proxy/log/event.h"

namespace espd::log {

Event::Event(Level level, std::string_view name)
    : active_(LogWriter::instance().enabled(level)), line_("espd") {
  line_.field("level", level_name(level)).field("event", name);
}

void Event::emit() {
  if (!active_) return;
  LogWriter::instance().submit(Stream::kEspd, line_.finish());
  active_ = false;
}

}  // namespace espd::log
