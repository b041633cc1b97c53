// The operator's figures read from the running parts (operator_view.h).
#include "daemon/operator_view.h"

#include <algorithm>

namespace pushgw::daemon {

uint64_t OperatorView::queue_depth() const { return p_.admission.stats().backlog + p_.fleet.queued(); }

std::vector<std::pair<Platform, std::string>> OperatorView::app_names() const {
  std::vector<std::pair<Platform, std::string>> out;
  for (const auto& a : *p_.apps->table) out.emplace_back(a.platform, a.name);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<OriginBreaker> OperatorView::breakers() const {
  std::vector<OriginBreaker> out;
  const auto& table = *p_.apps->table;
  for (auto& v : p_.fleet.breakers()) {
    if (v.app_id >= table.size()) continue;
    out.push_back(OriginBreaker{table[v.app_id].platform, table[v.app_id].name, std::move(v)});
  }
  return out;
}

}  // namespace pushgw::daemon
