#include "notify/address_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "notify/transport_internal.h"

namespace tw::notify {
namespace {

struct DeniedRange {
  const char* cidr;
  const char* kind;
};

// The IANA special-purpose address registries (RFC 6890 and successors):
// every range that is not globally reachable, or that reaches this host.
// Order matters where ranges nest: the first match names the kind.
// IPv6 forms that embed an IPv4 address are not listed: AddressPolicy
// judges them by that address (IpAddress::EmbeddedV4).
constexpr DeniedRange kDenied[] = {
    {"0.0.0.0/8", "unspecified"},  // "this network"; connecting to 0.0.0.0 reaches this host
    {"10.0.0.0/8", "private"},
    {"100.64.0.0/10", "private"},  // shared address space (carrier-grade NAT)
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local"},  // includes the cloud metadata service 169.254.169.254
    {"172.16.0.0/12", "private"},
    {"192.0.0.0/24", "reserved"},  // IETF protocol assignments
    {"192.0.2.0/24", "reserved"},  // documentation (TEST-NET-1)
    {"192.168.0.0/16", "private"},
    {"198.18.0.0/15", "reserved"},    // benchmarking
    {"198.51.100.0/24", "reserved"},  // documentation (TEST-NET-2)
    {"203.0.113.0/24", "reserved"},   // documentation (TEST-NET-3)
    {"224.0.0.0/4", "multicast"},
    {"255.255.255.255/32", "broadcast"},
    {"240.0.0.0/4", "reserved"},
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"64:ff9b:1::/48", "private"},  // local-use IPv4/IPv6 translation
    {"100::/64", "reserved"},       // discard-only
    {"2001::/23", "reserved"},      // IETF protocol assignments (Teredo, benchmarking, ORCHID)
    {"2001:db8::/32", "reserved"},  // documentation
    {"3fff::/20", "reserved"},      // documentation
    {"5f00::/16", "reserved"},      // segment routing (SRv6) SIDs
    {"fc00::/7", "private"},        // unique local addresses
    {"fe80::/10", "link-local"},
    {"fec0::/10", "private"},  // site-local, deprecated but still routed by some stacks
    {"ff00::/8", "multicast"},
};

const std::vector<std::pair<Cidr, const char*>>& DeniedRanges() {
  static const auto* ranges = [] {
    auto* out = new std::vector<std::pair<Cidr, const char*>>();
    for (const DeniedRange& r : kDenied) {
      Result<Cidr> cidr = Cidr::Parse(r.cidr);
      if (!cidr.ok()) std::abort();  // a typo in the table above
      out->emplace_back(*cidr, r.kind);
    }
    return out;
  }();
  return *ranges;
}

bool StartsWithBytes(const std::uint8_t* bytes, std::initializer_list<std::uint8_t> prefix) {
  return std::equal(prefix.begin(), prefix.end(), bytes);
}

std::uint32_t V4At(const std::uint8_t* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

const char* Article(std::string_view kind) { return kind == "unspecified" ? "an" : "a"; }

}  // namespace

// --- IpAddress -----------------------------------------------------------------

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);  // inet_pton wants a terminated string
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes_.data()) == 1) return a;
  a.v4_ = false;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) == 1) return a;
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::FromSockaddr(const sockaddr* address, socklen_t length) {
  if (address == nullptr) return std::nullopt;
  IpAddress a;
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in in;
    std::memcpy(&in, address, sizeof in);
    std::memcpy(a.bytes_.data(), &in.sin_addr, 4);
    return a;
  }
  if (address->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 in6;
    std::memcpy(&in6, address, sizeof in6);
    a.v4_ = false;
    std::memcpy(a.bytes_.data(), &in6.sin6_addr, 16);
    return a;
  }
  return std::nullopt;
}

IpAddress IpAddress::V4(std::uint32_t host_order) {
  IpAddress a;
  a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

std::optional<IpAddress> IpAddress::EmbeddedV4() const {
  if (v4_) return std::nullopt;
  const std::uint8_t* b = bytes_.data();
  constexpr std::uint8_t kZeros[12] = {};
  // ::ffff:a.b.c.d: an IPv6 socket connects to the IPv4 address itself.
  if (std::equal(b, b + 10, kZeros) && b[10] == 0xff && b[11] == 0xff) return V4(V4At(b + 12));
  // ::a.b.c.d (IPv4-compatible, deprecated); :: and ::1 are themselves.
  if (std::equal(b, b + 12, kZeros) && V4At(b + 12) > 1) return V4(V4At(b + 12));
  // 64:ff9b::a.b.c.d: a NAT64 gateway forwards to the IPv4 address.
  if (StartsWithBytes(b, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) {
    return V4(V4At(b + 12));
  }
  // 2002:aabb:ccdd::/48: 6to4 tunnels to the IPv4 address aa.bb.cc.dd.
  if (b[0] == 0x20 && b[1] == 0x02) return V4(V4At(b + 2));
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), text, sizeof text);
  return text;
}

// --- Cidr ----------------------------------------------------------------------

Cidr::Cidr(IpAddress network, int prefix_length)
    : network_(network), prefix_length_(prefix_length) {}

Result<Cidr> Cidr::Parse(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  std::size_t slash = text.find('/');
  std::optional<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  if (!address) {
    return InvalidArgument(
        quoted + " is not an IP address or network (e.g. 10.0.0.0/8, 127.0.0.1, fd00::/8)");
  }
  int prefix = address->bit_length();
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > address->bit_length()) {
      return InvalidArgument(quoted + ": the prefix length must be 0 to " +
                             std::to_string(address->bit_length()));
    }
  }
  // Host bits below the prefix are most likely a typo for a single address
  // or for the network: say which network it would be rather than guess.
  std::array<std::uint8_t, 16> masked{};
  std::memcpy(masked.data(), address->bytes(), address->bit_length() / 8);
  for (int bit = prefix; bit < address->bit_length(); ++bit) {
    masked[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  if (std::memcmp(masked.data(), address->bytes(), address->bit_length() / 8) != 0) {
    char network_text[INET6_ADDRSTRLEN] = {};
    inet_ntop(address->is_v4() ? AF_INET : AF_INET6, masked.data(), network_text,
              sizeof network_text);
    return InvalidArgument(quoted + ": host bits are set; the network is " + network_text + "/" +
                           std::to_string(prefix) + ", a single address is " + address->ToString() +
                           "/" + std::to_string(address->bit_length()));
  }
  return Cidr(*address, prefix);
}

bool Cidr::Contains(const IpAddress& address) const {
  if (address.is_v4() != network_.is_v4()) return false;
  const std::uint8_t* a = address.bytes();
  const std::uint8_t* n = network_.bytes();
  int whole = prefix_length_ / 8;
  if (std::memcmp(a, n, whole) != 0) return false;
  int rest = prefix_length_ % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
  return (a[whole] & mask) == (n[whole] & mask);
}

std::string Cidr::ToString() const {
  return network_.ToString() + "/" + std::to_string(prefix_length_);
}

// --- AddressPolicy -------------------------------------------------------------

Result<AddressPolicy> AddressPolicy::Allowing(const std::vector<std::string>& cidrs) {
  std::vector<Cidr> allowed;
  for (const std::string& text : cidrs) {
    Result<Cidr> cidr = Cidr::Parse(text);
    if (!cidr.ok()) return InvalidArgument("--allow-endpoint " + cidr.status().message());
    allowed.push_back(*cidr);
  }
  return AddressPolicy(std::move(allowed));
}

std::optional<std::string> AddressPolicy::Refusal(const IpAddress& address) const {
  for (const Cidr& cidr : allowed_) {
    if (cidr.Contains(address)) return std::nullopt;
  }
  if (std::optional<IpAddress> v4 = address.EmbeddedV4()) return Refusal(*v4);
  for (const auto& [cidr, kind] : DeniedRanges()) {
    if (cidr.Contains(address)) return std::string(kind);
  }
  return std::nullopt;
}

// --- Resolution and Subscribe's check --------------------------------------------

Result<std::vector<IpAddress>> ResolveHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;  // libcurl asks for both when the machine has IPv6
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int error = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (error != 0) {
    return Status(StatusCode::kUnavailable,
                  "cannot resolve host " + host + ": " + gai_strerror(error));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, freeaddrinfo);
  std::vector<IpAddress> out;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    std::optional<IpAddress> a = IpAddress::FromSockaddr(ai->ai_addr, ai->ai_addrlen);
    if (a && std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
  }
  return out;
}

Status CheckEndpointAddresses(std::string_view url, const AddressPolicy& policy,
                              const HostResolver& resolve) {
  internal::EnsureCurlInitialized();
  internal::CurlUrl parsed(curl_url());
  if (parsed == nullptr) return Internal("out of memory");
  const std::string text(url);
  if (curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return Status::Ok();
  }
  // Flags 0, as libcurl reads the host when it connects; an IPv6 literal
  // comes in brackets, without its zone.
  std::string host = internal::UrlPart(parsed.get(), CURLUPART_HOST);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return Status::Ok();
  Result<std::vector<IpAddress>> addresses = resolve ? resolve(host) : ResolveHost(host);
  if (!addresses.ok()) return Status::Ok();
  for (const IpAddress& address : *addresses) {
    std::optional<std::string> kind = policy.Refusal(address);
    if (!kind) continue;
    const std::string what = IpAddress::Parse(host) == address
                                 ? host + " is " + Article(*kind) + " " + *kind + " address"
                                 : host + " resolves to " + address.ToString() + ", " +
                                       Article(*kind) + " " + *kind + " address";
    return InvalidArgument("Invalid parameter: Endpoint Reason: " + what +
                           "; trailwatch refuses private, loopback and link-local endpoints "
                           "unless --allow-endpoint covers them");
  }
  return Status::Ok();
}

}  // namespace tw::notify
