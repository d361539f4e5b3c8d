// Issue 12, SSRF: the address policy that keeps http(s) and slack
// subscriptions away from loopback, private and link-local addresses
// (notify/address_policy.h). CIDR parsing, the default deny list over a
// table of addresses (with the IPv6 forms that embed an IPv4 address),
// the allow list, resolution of the odd numeric host forms libcurl accepts,
// and Subscribe's message.
//
// Before: none of this existed. Any address was a valid endpoint, so a
// subscription to http://169.254.169.254/ or http://127.0.0.1:6379/ was
// accepted and delivered to.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "notify/address_policy.h"

namespace tw::notify {
namespace {

IpAddress Ip(const std::string& text) {
  std::optional<IpAddress> a = IpAddress::Parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress());
}

// "allowed", or the kind of range that refuses it.
std::string Verdict(const AddressPolicy& policy, const std::string& address) {
  return policy.Refusal(Ip(address)).value_or("allowed");
}

TEST(SsrfCidrTest, ParsesNetworksAndSingleAddresses) {
  const std::map<std::string, std::string> cases = {
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"127.0.0.1", "127.0.0.1/32"},
      {"127.0.0.1/32", "127.0.0.1/32"},
      {"192.168.4.0/24", "192.168.4.0/24"},
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"::1", "::1/128"},
      {"fd00::/8", "fd00::/8"},
      {"::/0", "::/0"},
      {"::ffff:127.0.0.1/128", "::ffff:127.0.0.1/128"},
  };
  for (const auto& [text, canonical] : cases) {
    Result<Cidr> cidr = Cidr::Parse(text);
    ASSERT_TRUE(cidr.ok()) << text << ": " << cidr.status().ToString();
    EXPECT_EQ(cidr->ToString(), canonical) << text;
  }
}

TEST(SsrfCidrTest, RefusesAnythingElseNamingTheText) {
  const std::map<std::string, std::string> cases = {
      {"10.0.0.5/8",
       "'10.0.0.5/8': host bits are set; the network is 10.0.0.0/8, a single address is "
       "10.0.0.5/32"},
      {"fd00::1/8",
       "'fd00::1/8': host bits are set; the network is fd00::/8, a single address "
       "is fd00::1/128"},
      {"10.0.0.0/33", "'10.0.0.0/33': the prefix length must be 0 to 32"},
      {"::/129", "'::/129': the prefix length must be 0 to 128"},
      {"10.0.0.0/", "'10.0.0.0/': the prefix length must be 0 to 32"},
      {"10.0.0.0/-1", "'10.0.0.0/-1': the prefix length must be 0 to 32"},
      {"10.0.0.0/+8", "'10.0.0.0/+8': the prefix length must be 0 to 32"},
      {"10.0.0.0/8/9", "'10.0.0.0/8/9': the prefix length must be 0 to 32"},
      {"localhost",
       "'localhost' is not an IP address or network (e.g. 10.0.0.0/8, 127.0.0.1, "
       "fd00::/8)"},
      // Only the strict forms: an operator writes the address they mean.
      {"0177.0.0.1",
       "'0177.0.0.1' is not an IP address or network (e.g. 10.0.0.0/8, 127.0.0.1, "
       "fd00::/8)"},
      {"", "'' is not an IP address or network (e.g. 10.0.0.0/8, 127.0.0.1, fd00::/8)"},
      {" 10.0.0.0/8",
       "' 10.0.0.0/8' is not an IP address or network (e.g. 10.0.0.0/8, "
       "127.0.0.1, fd00::/8)"},
  };
  for (const auto& [text, message] : cases) {
    Result<Cidr> cidr = Cidr::Parse(text);
    ASSERT_FALSE(cidr.ok()) << text;
    EXPECT_EQ(cidr.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(cidr.status().message(), message) << text;
  }
}

TEST(SsrfCidrTest, ContainsOnlyItsOwnFamilyAndPrefix) {
  Cidr ten = *Cidr::Parse("10.0.0.0/8");
  EXPECT_TRUE(ten.Contains(Ip("10.255.255.255")));
  EXPECT_FALSE(ten.Contains(Ip("11.0.0.0")));
  EXPECT_FALSE(ten.Contains(Ip("::ffff:10.0.0.1")));  // the policy looks through this form
  Cidr cgnat = *Cidr::Parse("100.64.0.0/10");
  EXPECT_TRUE(cgnat.Contains(Ip("100.127.255.255")));
  EXPECT_FALSE(cgnat.Contains(Ip("100.128.0.0")));
  Cidr ula = *Cidr::Parse("fc00::/7");
  EXPECT_TRUE(ula.Contains(Ip("fdff::1")));
  EXPECT_FALSE(ula.Contains(Ip("fe00::1")));
  EXPECT_TRUE(Cidr::Parse("0.0.0.0/0")->Contains(Ip("203.0.113.1")));
}

TEST(SsrfAddressPolicyTest, TheDefaultRefusesEverySpecialPurposeRange) {
  const AddressPolicy policy;
  const std::map<std::string, std::string> cases = {
      // IPv4
      {"0.0.0.0", "unspecified"},  // connecting to it reaches this host
      {"0.1.2.3", "unspecified"},
      {"10.0.0.5", "private"},
      {"10.255.255.255", "private"},
      {"100.64.0.1", "private"},  // carrier-grade NAT
      {"100.127.255.255", "private"},
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"169.254.169.254", "link-local"},  // the cloud metadata service
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.0.0.8", "reserved"},
      {"192.0.2.10", "reserved"},
      {"192.168.1.1", "private"},
      {"198.18.0.1", "reserved"},
      {"198.19.255.255", "reserved"},
      {"198.51.100.7", "reserved"},
      {"203.0.113.9", "reserved"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"240.0.0.1", "reserved"},
      {"255.255.255.255", "broadcast"},
      // IPv6
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"fc00::1", "private"},
      {"fd12:3456::1", "private"},
      {"fe80::1", "link-local"},
      {"febf:ffff::1", "link-local"},
      {"fec0::1", "private"},
      {"ff02::1", "multicast"},
      {"64:ff9b:1::1", "private"},
      {"100::1", "reserved"},
      {"2001::1", "reserved"},  // Teredo
      {"2001:db8::1", "reserved"},
      // IPv6 forms judged by the IPv4 address they embed
      {"::ffff:127.0.0.1", "loopback"},  // IPv4-mapped
      {"::ffff:169.254.169.254", "link-local"},
      {"::ffff:10.0.0.5", "private"},
      {"::ffff:0.0.0.0", "unspecified"},
      {"::127.0.0.1", "loopback"},  // IPv4-compatible
      {"::10.0.0.5", "private"},
      {"64:ff9b::7f00:1", "loopback"},  // NAT64
      {"64:ff9b::169.254.169.254", "link-local"},
      {"2002:7f00:1::1", "loopback"},  // 6to4
      {"2002:a9fe:a9fe::", "link-local"},
      {"2002:c0a8:101::1", "private"},
      // Globally reachable: allowed
      {"8.8.8.8", "allowed"},
      {"1.1.1.1", "allowed"},
      {"11.0.0.0", "allowed"},
      {"100.63.255.255", "allowed"},
      {"100.128.0.0", "allowed"},
      {"126.255.255.255", "allowed"},
      {"128.0.0.0", "allowed"},
      {"169.253.255.255", "allowed"},
      {"169.255.0.0", "allowed"},
      {"172.15.255.255", "allowed"},
      {"172.32.0.0", "allowed"},
      {"192.169.0.0", "allowed"},
      {"223.255.255.255", "allowed"},
      {"2606:4700:4700::1111", "allowed"},
      {"2a00:1450:4001::200e", "allowed"},
      {"::ffff:8.8.8.8", "allowed"},
      {"64:ff9b::8.8.8.8", "allowed"},
      {"2002:808:808::1", "allowed"},
  };
  for (const auto& [address, verdict] : cases) {
    EXPECT_EQ(Verdict(policy, address), verdict) << address;
  }
}

TEST(SsrfAddressPolicyTest, TheAllowListOverridesExactlyWhatItCovers) {
  Result<AddressPolicy> policy =
      AddressPolicy::Allowing({"127.0.0.1/32", "10.1.0.0/16", "fd00::/8"});
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  const std::map<std::string, std::string> cases = {
      {"127.0.0.1", "allowed"},
      {"::ffff:127.0.0.1", "allowed"},  // the same address, reached over IPv6
      {"64:ff9b::7f00:1", "allowed"},
      {"127.0.0.2", "loopback"},
      {"::1", "loopback"},  // another family: not covered by 127.0.0.1/32
      {"10.1.2.3", "allowed"},
      {"10.2.0.1", "private"},
      {"fd00::1", "allowed"},
      {"fc00::1", "private"},
      {"169.254.169.254", "link-local"},
      {"8.8.8.8", "allowed"},
  };
  for (const auto& [address, verdict] : cases) {
    EXPECT_EQ(Verdict(*policy, address), verdict) << address;
  }
  EXPECT_EQ(Verdict(*AddressPolicy::Allowing({"0.0.0.0/0", "::/0"}), "169.254.169.254"), "allowed");
}

TEST(SsrfAddressPolicyTest, ABadAllowEntryIsAnErrorNamingTheOption) {
  Result<AddressPolicy> policy = AddressPolicy::Allowing({"127.0.0.1/32", "10.0.0.5/8"});
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message(),
            "--allow-endpoint '10.0.0.5/8': host bits are set; the network is 10.0.0.0/8, a "
            "single address is 10.0.0.5/32");
}

// The host forms libcurl hands to the resolver, resolved the way a
// connection would resolve them.
TEST(SsrfResolveTest, OddNumericFormsResolveToTheAddressTheyStandFor) {
  for (const char* host :
       {"127.0.0.1", "0177.0.0.1", "2130706433", "0x7f000001", "0x7f.1", "127.1", "017700000001"}) {
    Result<std::vector<IpAddress>> addresses = ResolveHost(host);
    ASSERT_TRUE(addresses.ok()) << host << ": " << addresses.status().ToString();
    ASSERT_EQ(addresses->size(), 1u) << host;
    EXPECT_EQ((*addresses)[0].ToString(), "127.0.0.1") << host;
    EXPECT_EQ(AddressPolicy().Refusal((*addresses)[0]), "loopback") << host;
  }
  Result<std::vector<IpAddress>> mapped = ResolveHost("::ffff:127.0.0.1");
  ASSERT_TRUE(mapped.ok());
  ASSERT_EQ(mapped->size(), 1u);
  EXPECT_FALSE((*mapped)[0].is_v4());
  EXPECT_EQ(AddressPolicy().Refusal((*mapped)[0]), "loopback");
  // localhost may have several addresses (127.0.0.1, ::1): all loopback.
  Result<std::vector<IpAddress>> localhost = ResolveHost("localhost");
  ASSERT_TRUE(localhost.ok());
  ASSERT_FALSE(localhost->empty());
  for (const IpAddress& a : *localhost) EXPECT_EQ(AddressPolicy().Refusal(a), "loopback");
  // A 64-character label is not a DNS name: refused without asking a server.
  EXPECT_EQ(ResolveHost(std::string(64, 'a') + ".invalid").status().code(),
            StatusCode::kUnavailable);
}

constexpr char kRefusedTail[] =
    "; trailwatch refuses private, loopback and link-local endpoints unless --allow-endpoint "
    "covers them";

TEST(SsrfSubscribeCheckTest, EveryResolvedAddressIsCheckedAndTheMessageSaysWhich) {
  // One public and one private answer: the private one is enough to refuse,
  // whichever a connection would try first.
  HostResolver resolver = [](const std::string& host) -> Result<std::vector<IpAddress>> {
    if (host == "hooks.rebind.test")
      return std::vector<IpAddress>{Ip("93.184.216.34"), Ip("10.0.0.5")};
    if (host == "hooks.public.test") return std::vector<IpAddress>{Ip("93.184.216.34")};
    return Status(StatusCode::kUnavailable, "no such host");
  };
  const AddressPolicy policy;
  EXPECT_EQ(CheckEndpointAddresses("https://hooks.rebind.test/sns", policy, resolver).message(),
            std::string("Invalid parameter: Endpoint Reason: hooks.rebind.test resolves to "
                        "10.0.0.5, a private address") +
                kRefusedTail);
  EXPECT_TRUE(CheckEndpointAddresses("https://hooks.public.test/sns", policy, resolver).ok());
  // Nothing to reach now; the connect-time check still guards later.
  EXPECT_TRUE(CheckEndpointAddresses("https://nowhere.test/sns", policy, resolver).ok());
}

TEST(SsrfSubscribeCheckTest, LiteralAndOddHostsThroughTheRealResolver) {
  const AddressPolicy policy;
  const std::map<std::string, std::string> cases = {
      {"http://127.0.0.1:6379/", "127.0.0.1 is a loopback address"},
      {"http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"},
      {"http://0.0.0.0:22/", "0.0.0.0 is an unspecified address"},
      {"https://10.0.0.5/hook", "10.0.0.5 is a private address"},
      {"http://[::1]:8080/", "::1 is a loopback address"},
      {"http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"},
      {"http://[fe80::1]/", "fe80::1 is a link-local address"},
      // libcurl's URL parser writes numeric IPv4 hosts in their usual form.
      {"http://2130706433/", "127.0.0.1 is a loopback address"},
      {"http://0177.0.0.1/", "127.0.0.1 is a loopback address"},
      {"http://0x7f.1/", "127.0.0.1 is a loopback address"},
      // The message names the host, never the credentials of the URL.
      {"http://admin:s3cret@127.0.0.1/", "127.0.0.1 is a loopback address"},
  };
  for (const auto& [url, what] : cases) {
    Status s = CheckEndpointAddresses(url, policy);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(s.message(), "Invalid parameter: Endpoint Reason: " + what + kRefusedTail) << url;
  }
  Result<std::vector<IpAddress>> localhost = ResolveHost("localhost");
  ASSERT_TRUE(localhost.ok() && !localhost->empty());
  EXPECT_EQ(CheckEndpointAddresses("http://localhost:8080/", policy).message(),
            "Invalid parameter: Endpoint Reason: localhost resolves to " +
                localhost->front().ToString() + ", a loopback address" + kRefusedTail);

  Result<AddressPolicy> loopback = AddressPolicy::Allowing({"127.0.0.1/32"});
  ASSERT_TRUE(loopback.ok());
  EXPECT_TRUE(CheckEndpointAddresses("http://127.0.0.1:6379/", *loopback).ok());
  EXPECT_TRUE(CheckEndpointAddresses("http://2130706433/", *loopback).ok());
  EXPECT_FALSE(CheckEndpointAddresses("http://169.254.169.254/", *loopback).ok());
}

}  // namespace
}  // namespace tw::notify
