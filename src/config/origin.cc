// parse_https_origin: the endpoint overrides ("https://127.0.0.1:8443").
#include "config/origin.h"

#include "base/authority.h"

namespace pushgw::config {

Result<Origin> parse_https_origin(std::string_view url) {
  base::HttpsUrl u;
  const base::UrlError e = base::parse_https_url(url, u);
  std::string why;
  if (e != base::UrlError::None) why = "it " + std::string(base::describe(e));
  else if (u.path != "/" || url.find_first_of("?#") != std::string_view::npos) why = "it has a path or query";
  if (!why.empty()) return make_error("bad_url", "must be \"https://host[:port]\" with no path: " + why);
  return Origin{std::string(u.authority.host), u.authority.port};
}

}  // namespace pushgw::config
