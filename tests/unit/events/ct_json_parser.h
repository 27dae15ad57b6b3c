// The strict reader of the events format's `ct` section (tests only).
#pragma once

#include <nlohmann/json.hpp>

#include "event.h"
#include "expected.h"

namespace nfct {

// Parses a `ct` section (the object under "ct") into an Event; seq, time_ns, probe and netns
// are left default. Every key and value is checked (unknown keys are rejected, addresses must
// be written as inet_ntop writes them, labels in their canonical form); the error message is
// "<path>: <what was expected>", the path starting at "ct" (e.g. "ct.base.orig.ip.src").
// Missing "labels" and "parent" keys are taken as null (examples written by hand omit them).
Expected<Event> event_from_ct_json(const nlohmann::json& ct);

}  // namespace nfct
