// The one parser for "host[:port]" and "https://host[:port]/path" in the
// gateway. Web Push endpoints are read by it twice: by ingest, which checks
// them (and hands the host to the SSRF guard), and by the Web Push provider,
// which re-reads them per message to pick the pool origin, :authority and
// :path. Both MUST see the same host and port, or a URL could pass the guard
// as one host and be sent to another; so there is exactly one parser.
// Configured endpoints, token URIs, listen addresses and the "host:port" pool
// origins built from all of these use it too.
//
// Grammar (a strict subset of RFC 3986 3.2.2 and 3.2.3):
//   authority = host [ ":" port ]
//   host      = "[" IPv6 "]"            what inet_pton(AF_INET6) accepts;
//                                       no zone id ("%25eth0" is refused)
//             | label *( "." label ) [ "." ]
//   label     = 1*( ALPHA / DIGIT / "-" / "_" )   (IPv4 literals included)
//   port      = 1*5DIGIT                1..65535 (0 only if allowed below)
// and nothing else: no userinfo ("user@host": refused, not stripped), no
// percent-encoding (push services never escape host names, and decoding is
// where two parsers start to disagree), no empty label, no empty port after
// ':', no byte outside the sets above. A name is at most 253 bytes.
//
// Canonical form, the one written back (pool origins, :authority, the VAPID
// audience): the host lowercased, without the trailing dot of a fully
// qualified name, an IPv6 literal in brackets (as written, lowercased; not
// re-compressed), then ":port". Parsing the canonical form gives back the
// same Authority, compared with same_authority().
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace pushgw::base {

struct Authority {
  std::string_view host;  // as written, without brackets and trailing dot
  uint16_t port = 0;      // as written, else AuthorityRules::default_port
  bool has_port = false;  // the text carried ":port"
  bool ipv6 = false;      // host is an IPv6 literal (it was in brackets)
};

struct AuthorityRules {
  uint16_t default_port = 443;
  bool require_port = false;     // listen addresses and pool origins
  bool allow_port_zero = false;  // listen addresses: 0 = any free port
};

// "host:port" to bind: the port is required, 0 picks any free port.
inline constexpr AuthorityRules kListenAddress{.default_port = 0, .require_port = true, .allow_port_zero = true};

enum class UrlError : uint8_t {
  None,
  BadBytes,     // space, control or non-ASCII byte
  NotAbsolute,  // no "scheme://"
  NotHttps,     // a scheme other than https (http:// included)
  NoHost,       // empty host
  Userinfo,     // "user@host"
  BadIpv6,      // bracketed literal that is not IPv6 (or has a zone id)
  BadHost,      // a character or an empty label a host name may not have
  BadPort,      // empty, non-decimal, out of range, or missing when required
};

// Human text for an error ("" for None); callers add their own context.
std::string_view describe(UrlError e);

// Parses a whole authority. On error, out is reset to Authority{} with
// out.port = rules.default_port.
UrlError parse_authority(std::string_view text, const AuthorityRules& rules, Authority& out);

struct HttpsUrl {
  Authority authority;         // default port 443; port 0 refused
  std::string_view authority_text;  // "host[:port]" exactly as written
  std::string_view path;       // path and query, never the fragment; "/" when
                               // empty; may start with '?' ("https://h?q")
};

// "https://" (scheme in any case), an authority, then anything up to an
// optional "#fragment". Every byte of url must be printable ASCII without
// space (0x21..0x7e), so the parts can go into request headers unchanged.
// Views point into url.
UrlError parse_https_url(std::string_view url, HttpsUrl& out);

// Appends the canonical host (see above): lowercased, IPv6 in brackets.
void append_host(std::string& out, const Authority& a);

// Appends the canonical host, then ":port" when always_port or when the port
// is not default_port: "h:443" is a pool origin, "h" the RFC 6454 origin's
// authority that goes into :authority and the VAPID audience.
void append_authority(std::string& out, const Authority& a, bool always_port, uint16_t default_port = 443);

// Same host (ASCII case-insensitive), port and kind.
bool same_authority(const Authority& a, const Authority& b);

}  // namespace pushgw::base
