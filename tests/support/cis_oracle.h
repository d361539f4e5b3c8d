// Hand-written predicates, one per pattern of cis_patterns.h, over records
// parsed with nlohmann::json: an oracle that shares no code with the pattern
// engine (no parser, no simdjson, no EventView).
//
// Each predicate is the pattern read by a person, with trailwatch's semantics
// (docs/pattern-syntax.md):
//   - a value's text is a string's contents, a number's JSON text (nlohmann's
//     rendering; no CIS pattern compares a number), or true/false; null,
//     objects and arrays have none;
//   - `=` compares that text exactly; `*x` / `x*` match a suffix / prefix;
//   - `!=` is false when the field is missing or has no text (*chosen*);
//   - NOT EXISTS is true when the path selects nothing (a null is something);
//   - && binds tighter than ||.
// The `missing_ne_matches` flag switches `!=` to the other reading (true when
// missing), to reproduce both CW.3 rows of SOURCES.md.
//
// Header-only so that bench/ can use it without linking test support.

#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tw::testing::oracle {

using Json = nlohmann::json;

// The value at `path` (member names from the root), or nullptr.
inline const Json* Find(const Json& record, std::initializer_list<std::string_view> path) {
  const Json* value = &record;
  for (std::string_view step : path) {
    if (!value->is_object()) return nullptr;
    auto it = value->find(step);
    if (it == value->end()) return nullptr;
    value = &*it;
  }
  return value;
}

inline std::optional<std::string> Text(const Json* value) {
  if (value == nullptr || value->is_null() || value->is_object() || value->is_array()) {
    return std::nullopt;
  }
  if (value->is_string()) return value->get<std::string>();
  return value->dump();  // numbers and booleans: their JSON text
}

// `literal` as written in a pattern; a leading or trailing '*' is a wildcard.
inline bool TextMatches(std::string_view text, std::string_view literal) {
  if (literal.size() > 1 && literal.front() == '*') {
    std::string_view suffix = literal.substr(1);
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
  }
  if (literal.size() > 1 && literal.back() == '*') {
    std::string_view prefix = literal.substr(0, literal.size() - 1);
    return text.substr(0, prefix.size()) == prefix;
  }
  return text == literal;
}

inline bool Eq(const Json& r, std::initializer_list<std::string_view> path,
               std::string_view literal) {
  std::optional<std::string> text = Text(Find(r, path));
  return text && TextMatches(*text, literal);
}

inline bool Ne(const Json& r, std::initializer_list<std::string_view> path,
               std::string_view literal, bool missing_ne_matches = false) {
  std::optional<std::string> text = Text(Find(r, path));
  if (!text) return missing_ne_matches;
  return !TextMatches(*text, literal);
}

inline bool NotExists(const Json& r, std::initializer_list<std::string_view> path) {
  return Find(r, path) == nullptr;
}

inline bool EventNameIn(const Json& r, std::initializer_list<std::string_view> names) {
  std::optional<std::string> text = Text(Find(r, {"eventName"}));
  if (!text) return false;
  for (std::string_view name : names) {
    if (*text == name) return true;
  }
  return false;
}

// ---- one predicate per control -------------------------------------------

inline bool RootUsage(const Json& r) {  // CW.1, CIS-root, CIS4.0-4.3
  return Eq(r, {"userIdentity", "type"}, "Root") && NotExists(r, {"userIdentity", "invokedBy"}) &&
         Ne(r, {"eventType"}, "AwsServiceEvent");
}

inline bool UnauthorizedApiCalls(const Json& r) {  // CW.2
  return Eq(r, {"errorCode"}, "*UnauthorizedOperation") || Eq(r, {"errorCode"}, "AccessDenied*");
}

inline bool UnauthorizedApiCallsAllOr(const Json& r) {  // CIS1.4-4.1-allor
  return Eq(r, {"errorCode"}, "*UnauthorizedOperation") || Eq(r, {"errorCode"}, "AccessDenied*") ||
         Ne(r, {"sourceIPAddress"}, "delivery.logs.amazonaws.com") ||
         Ne(r, {"eventName"}, "HeadBucket");
}

inline bool UnauthorizedApiCallsV4(const Json& r) {  // CIS4.0-4.1: && before ||
  return Eq(r, {"errorCode"}, "*UnauthorizedOperation") ||
         (Eq(r, {"errorCode"}, "AccessDenied*") &&
          Ne(r, {"sourceIPAddress"}, "delivery.logs.amazonaws.com") &&
          Ne(r, {"eventName"}, "HeadBucket"));
}

inline bool ConsoleNoMfaTwoTerm(const Json& r, bool missing_ne_matches = false) {
  return Eq(r, {"eventName"}, "ConsoleLogin") &&
         Ne(r, {"additionalEventData", "MFAUsed"}, "Yes", missing_ne_matches);
}

inline bool ConsoleNoMfaFourTerm(const Json& r, bool missing_ne_matches = false) {
  return ConsoleNoMfaTwoTerm(r, missing_ne_matches) && Eq(r, {"userIdentity", "type"}, "IAMUser") &&
         Eq(r, {"responseElements", "ConsoleLogin"}, "Success");
}

inline bool IamPolicyChanges(const Json& r) {  // CW.4
  return EventNameIn(
      r, {"DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
          "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion",
          "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy",
          "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"});
}

inline bool CloudTrailChanges(const Json& r) {  // CW.5
  return EventNameIn(r,
                     {"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"});
}

inline bool ConsoleAuthFailures(const Json& r) {  // CW.6, CIS4.0-4.6
  return Eq(r, {"eventName"}, "ConsoleLogin") && Eq(r, {"errorMessage"}, "Failed authentication");
}

inline bool CmkDisableOrDelete(const Json& r) {  // CW.7
  return Eq(r, {"eventSource"}, "kms.amazonaws.com") &&
         EventNameIn(r, {"DisableKey", "ScheduleKeyDeletion"});
}

inline bool S3BucketPolicyChanges(const Json& r) {  // CW.8
  return Eq(r, {"eventSource"}, "s3.amazonaws.com") &&
         EventNameIn(r, {"PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle",
                         "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors",
                         "DeleteBucketLifecycle", "DeleteBucketReplication"});
}

inline bool ConfigChanges(const Json& r) {  // CW.9
  return Eq(r, {"eventSource"}, "config.amazonaws.com") &&
         EventNameIn(r, {"StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
                         "PutConfigurationRecorder"});
}

inline bool SecurityGroupChanges(const Json& r) {  // CW.10
  return EventNameIn(r, {"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                         "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress",
                         "CreateSecurityGroup", "DeleteSecurityGroup"});
}

inline bool SecurityGroupChangesV5(const Json& r) {  // CIS5.0-4.10
  return SecurityGroupChanges(r) || Eq(r, {"eventName"}, "ModifySecurityGroupRules");
}

inline bool NaclChanges(const Json& r) {  // CW.11
  return EventNameIn(
      r, {"CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
          "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"});
}

inline bool NetworkGatewayChanges(const Json& r) {  // CW.12
  return EventNameIn(r,
                     {"CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
                      "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway"});
}

inline bool RouteTableChanges(const Json& r) {  // CW.13
  return EventNameIn(
      r, {"CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
          "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable"});
}

inline bool RouteTableChangesV3(const Json& r) {  // CIS3.0-4.13: guard binds to CreateRoute
  return (Eq(r, {"eventSource"}, "ec2.amazonaws.com") && Eq(r, {"eventName"}, "CreateRoute")) ||
         EventNameIn(r, {"CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
                         "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable"});
}

inline bool VpcChanges(const Json& r) {  // CW.14
  return EventNameIn(
      r, {"CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
          "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
          "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink",
          "EnableVpcClassicLink"});
}

inline bool OrganizationsChanges(const Json& r) {  // CIS4.15, CIS4.0-4.15
  return Eq(r, {"eventSource"}, "organizations.amazonaws.com") &&
         EventNameIn(
             r,
             {"AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit",
              "CreatePolicy", "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit",
              "DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType",
              "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
              "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"});
}

using Predicate = bool (*)(const Json&);

// The predicate for a pattern id of kCisPatterns, or nullptr.
inline Predicate PredicateFor(std::string_view id) {
  struct Entry {
    std::string_view id;
    Predicate predicate;
  };
  static constexpr Entry kTable[] = {
      {"CW.1", RootUsage},
      {"CW.2", UnauthorizedApiCalls},
      {"CW.3", [](const Json& r) { return ConsoleNoMfaFourTerm(r); }},
      {"CW.4", IamPolicyChanges},
      {"CW.5", CloudTrailChanges},
      {"CW.6", ConsoleAuthFailures},
      {"CW.7", CmkDisableOrDelete},
      {"CW.8", S3BucketPolicyChanges},
      {"CW.9", ConfigChanges},
      {"CW.10", SecurityGroupChanges},
      {"CW.11", NaclChanges},
      {"CW.12", NetworkGatewayChanges},
      {"CW.13", RouteTableChanges},
      {"CW.14", VpcChanges},
      {"CIS4.15", OrganizationsChanges},
      {"CIS-root", RootUsage},
      {"CIS1.4-4.1-allor", UnauthorizedApiCallsAllOr},
      {"CIS4.0-4.1", UnauthorizedApiCallsV4},
      {"CIS1.2-3.2", [](const Json& r) { return ConsoleNoMfaTwoTerm(r); }},
      {"CIS4.0-4.2", [](const Json& r) { return ConsoleNoMfaTwoTerm(r); }},
      {"CIS4.0-4.2-sso", [](const Json& r) { return ConsoleNoMfaFourTerm(r); }},
      {"CIS4.0-4.3", RootUsage},
      {"CIS4.0-4.6", ConsoleAuthFailures},
      {"CIS5.0-4.10", SecurityGroupChangesV5},
      {"CIS3.0-4.13", RouteTableChangesV3},
      {"CIS4.0-4.15", OrganizationsChanges},
  };
  for (const Entry& e : kTable) {
    if (e.id == id) return e.predicate;
  }
  return nullptr;
}

}  // namespace tw::testing::oracle
