// Internal to the send op: what the per-platform parsers share.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/send.h"

namespace pushgw::ingest::detail {

namespace dom = simdjson::dom;

// Recipients of one notification deferred to the same due time, gathered
// while parsing (see place()).
struct DeferGroup {
  int64_t due_ms = 0;
  bool quiet_hours = false;
  uint32_t count = 0;
  std::string entries;               // their JSON entries, comma-separated
  std::vector<std::string> targets;  // their tokens/endpoints, for the response
};

// One notification being parsed.
struct Ctx {
  Ctx(uint32_t n_, SendRequest& out_, int64_t now, const SchedulePolicy& pol)
      : n(n_), out(out_), now_ms(now), policy(pol) {}
  uint32_t n = 0;
  dom::object obj;
  std::optional<Platform> platform;  // nullopt: unknown or missing
  const AppInfo* app = nullptr;
  SendRequest& out;
  int64_t now_ms = 0;
  const SchedulePolicy& policy;
  // Scheduling of this notification, read by new_batch().
  int64_t send_at_ms = 0;            // 0 = none
  std::string_view schedule_key;
  const tz::Zone* zone = nullptr;    // its "tz", else nullptr (the default applies)
  std::string_view list_key;         // "tokens"/"subscriptions": where recipients are ("" = FCM topic/condition)
  bool schedules = false;            // send_at in the future, or marketing under quiet hours
  std::vector<DeferGroup> groups;
  std::unique_ptr<Batch> expired;    // recipients that expire before they could be sent
  std::shared_ptr<const DeferredText> deferred_text;  // built once, for the first group
};

// Result of reading an optional field: absent, present with the right type
// (value written), or present with a wrong type/value.
enum class Got : uint8_t { Absent, Ok, Bad };
Got get_string(dom::object o, std::string_view key, std::string_view& out);
Got get_int(dom::object o, std::string_view key, int64_t& out);
// RFC 3339 string or unix seconds (integer or fractional) -> epoch ms.
Got get_time_ms(dom::object o, std::string_view key, int64_t& out_ms);

void reject(SendRequest& out, uint32_t n, std::string_view token, bool is_endpoint, std::string_view code,
            std::string_view message);
// Rejects every recipient the notification names, or, when its recipient
// list is unreadable, once with an empty token.
void reject_all(const Ctx& c, std::string_view code, std::string_view message);

// A Batch with the notification-level fields set, or nullptr after
// rejecting everything because "expires_at", "class", "cap", "send_at",
// "schedule_key" or "tz" is malformed.
std::unique_ptr<Batch> new_batch(Ctx& c);
// Compiles a JSON object as the batch's template; one without variables has
// its size checked against limit now. what names it in messages ("APNs
// payload"). False after rejecting the whole notification.
bool compile_json_template(Ctx& c, Batch& b, dom::object o, std::string_view what, size_t limit);
// Hands a batch with recipients to the request (dropping an empty one),
// then the notification's expired and deferred recipients.
void finish(Ctx& c, std::unique_ptr<Batch> b);

// A token entry of "tokens": a string, or {"token": "...", ...}.
struct TokenEntry {
  std::string_view token;
  dom::object obj;
  bool is_object = false;
  const char* error = nullptr;  // bad_request message when the entry is unusable
};
TokenEntry read_token_entry(dom::element e);
// Reserve hints for a recipient list, counted over the entries that can be
// accepted (a token of a plausible length, a subscription with an
// endpoint), never from the list's raw length: a list of junk reserves
// nothing.
struct ReserveHint {
  size_t count = 0;  // recipients
  size_t bytes = 0;  // arena bytes
};
ReserveHint token_hint(dom::array tokens, size_t min_len, size_t max_len);  // 1 <= min_len <= max_len

// Appends recipients to a batch without allocating per recipient: tokens,
// vars and keys go into the arena, which is reserved up front. A recipient
// is begun, optionally given vars/keys, measured, then kept or rolled back.
class RecipientWriter {
 public:
  // `count` and `arena_bytes` are reserve hints: give them from entries
  // that can be accepted (never from the raw length of a list that may be
  // mostly junk).
  RecipientWriter(Batch& b, size_t count, size_t arena_bytes);
  Recipient& begin(std::string_view token);
  void add_keys(std::string_view p256dh65, std::string_view auth16);
  // Stores the values of the vars the template references (a sparse run,
  // see Batch::vars). False when vars is not an object (nothing is stored
  // then).
  bool set_vars(dom::element vars);
  // Rendered payload size for the current recipient; past `limit` only
  // known to be larger (Template::rendered_size).
  size_t rendered_size(size_t limit);
  void rollback();

 private:
  void store(dom::element v, VarValue& out);
  Batch& b_;
  size_t count_ = 0;      // the recipients hint
  size_t mark_ = 0;       // arena size before the current recipient
};

// Scheduling fields of the notification ("send_at", "schedule_key", "tz")
// into c; false after rejecting everything because one is malformed
// (send_schedule.cc, like place() and finish_scheduled()).
bool read_schedule(Ctx& c, bool marketing);
// Moves the deferred groups into the request; returns the batch of expired
// recipients (nullptr when none).
std::unique_ptr<Batch> finish_scheduled(Ctx& c, const Batch& b);

// Campaign policy for the recipient just written (the last one in w): it
// stays for sending now, or is taken back out and deferred (send_at, quiet
// hours), expired (its expiry comes first) or rejected (unknown "tz").
// entry is the recipient's JSON (nullptr for an FCM topic/condition);
// target its token, topic or endpoint.
void place_scheduled(Ctx& c, Batch& b, RecipientWriter& w, const dom::element* entry, std::string_view target,
                     bool is_endpoint);
// Inline so the common case costs one branch per recipient: nothing to
// schedule and an entry that cannot carry "tz" (a plain token string).
inline void place(Ctx& c, Batch& b, RecipientWriter& w, const dom::element* entry, std::string_view target,
                  bool is_endpoint) {
  if (!c.schedules && (entry == nullptr || !entry->is_object())) return;
  place_scheduled(c, b, w, entry, target, is_endpoint);
}

void parse_apns(Ctx& c);
void parse_fcm(Ctx& c);
void parse_webpush(Ctx& c);

}  // namespace pushgw::ingest::detail
