// Which network addresses an HTTP(S) or Slack subscription may reach.
//
// Without a policy, a subscription is a request forgery primitive: anyone
// who can call Subscribe makes trailwatch POST to 127.0.0.1, to the cloud
// metadata service at 169.254.169.254 or to the private network, and the
// delivery outcome ("connection refused" or "timed out") tells them which
// ports are open. So an AddressPolicy refuses the special-purpose ranges of
// the IANA IPv4 and IPv6 registries by default (loopback, private,
// link-local, carrier-grade NAT, multicast, reserved, ...); addresses that
// embed an IPv4 address (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d,
// 2002:aabb:ccdd::) are judged by that IPv4 address. An allow list
// (`--allow-endpoint CIDR`) overrides the refusal, e.g. 127.0.0.1/32 for a
// receiver on the same machine.
//
// The policy is enforced twice (sns.h, transport.h): when a subscription is
// made, on every address its host resolves to, and again when the delivery
// connects, on the address libcurl is about to connect to, so that a DNS
// answer that changes between the two (rebinding) cannot get through.
// SMTP (--smtp) is the operator's own configuration and is not checked.
//
//   Result<AddressPolicy> policy = AddressPolicy::Allowing({"127.0.0.1/32"});
//   std::optional<IpAddress> a = IpAddress::Parse("169.254.169.254");
//   policy->Refusal(*a);  // "link-local"
//
// Thread safety: IpAddress, Cidr and AddressPolicy are immutable values and
// may be shared between threads.

#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tw::notify {

// An IPv4 or IPv6 address (without an IPv6 zone).
class IpAddress {
 public:
  // Strict text forms only: dotted-quad IPv4 ("10.0.0.5") or IPv6 text
  // ("::1", "::ffff:127.0.0.1"), as inet_pton reads them. Odd IPv4 forms
  // ("0177.0.0.1", "2130706433") are not addresses here; resolving them
  // (ResolveHost) gives what a connection would reach.
  static std::optional<IpAddress> Parse(std::string_view text);
  // An AF_INET or AF_INET6 socket address; nullopt for other families or a
  // short `length`.
  static std::optional<IpAddress> FromSockaddr(const sockaddr* address, socklen_t length);
  static IpAddress V4(std::uint32_t host_order);

  bool is_v4() const { return v4_; }
  // 4 bytes for IPv4, 16 for IPv6, network order.
  const std::uint8_t* bytes() const { return bytes_.data(); }
  int bit_length() const { return v4_ ? 32 : 128; }
  // The IPv4 address an IPv6 address stands for: IPv4-mapped
  // (::ffff:0:0/96), IPv4-compatible (::/96, but not :: and ::1), NAT64
  // (64:ff9b::/96) and 6to4 (2002::/16). nullopt for every other address.
  std::optional<IpAddress> EmbeddedV4() const;
  // "10.0.0.5", "::1" (inet_ntop's form).
  std::string ToString() const;

  bool operator==(const IpAddress&) const = default;

 private:
  bool v4_ = true;
  std::array<std::uint8_t, 16> bytes_{};
};

// A network: an address and a prefix length.
class Cidr {
 public:
  // "10.0.0.0/8", "fd00::/8", or a single address ("127.0.0.1" = /32,
  // "::1" = /128). kInvalidArgument, naming the text, for anything else,
  // including host bits set below the prefix ("10.0.0.5/8: host bits are
  // set; the network is 10.0.0.0/8").
  static Result<Cidr> Parse(std::string_view text);
  Cidr(IpAddress network, int prefix_length);

  // False for an address of the other family: an IPv4 network does not
  // contain ::ffff:a.b.c.d (AddressPolicy looks through that form itself).
  bool Contains(const IpAddress& address) const;
  std::string ToString() const;  // "10.0.0.0/8"

 private:
  IpAddress network_;
  int prefix_length_ = 0;
};

class AddressPolicy {
 public:
  // The default: every special-purpose range refused, nothing allowed.
  AddressPolicy() = default;
  // The default plus these networks, whatever the deny list says of them.
  explicit AddressPolicy(std::vector<Cidr> allowed) : allowed_(std::move(allowed)) {}
  // Parses each text with Cidr::Parse; the error names the bad one:
  // "--allow-endpoint 10.0.0.5/8: host bits are set; ...".
  static Result<AddressPolicy> Allowing(const std::vector<std::string>& cidrs);

  // nullopt when `address` may be connected to; else the kind of range
  // that refuses it, for messages: "loopback", "private", "link-local",
  // "unspecified", "multicast", "broadcast" or "reserved".
  std::optional<std::string> Refusal(const IpAddress& address) const;

  const std::vector<Cidr>& allowed() const { return allowed_; }

 private:
  std::vector<Cidr> allowed_;
};

// The addresses a host name resolves to for a TCP connection, as libcurl
// will resolve it (getaddrinfo, IPv4 and IPv6). Numeric hosts in any form
// the C library accepts ("0177.0.0.1", "2130706433") resolve to the
// address they stand for. kUnavailable, with the resolver's message, when
// the name does not resolve.
using HostResolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;
Result<std::vector<IpAddress>> ResolveHost(const std::string& host);

// Subscribe's check of an http(s) URL (http, https and slack endpoints):
// the URL's host, read by libcurl's own URL parser (the one the delivery
// uses), resolved with `resolve` (ResolveHost when empty); kInvalidArgument
// in SNS's words when any address is refused:
//   "Invalid parameter: Endpoint Reason: localhost resolves to 127.0.0.1, a
//   loopback address; trailwatch refuses private, loopback and link-local
//   endpoints unless --allow-endpoint covers them"
// A host that does not resolve passes: nothing can be reached through it
// now, and the check at connect time still applies when it does resolve.
// A URL libcurl cannot parse passes too (delivery will call it invalid).
Status CheckEndpointAddresses(std::string_view url, const AddressPolicy& policy,
                              const HostResolver& resolve = {});

}  // namespace tw::notify
