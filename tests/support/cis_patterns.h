// The CIS AWS Foundations Benchmark / Security Hub metric-filter patterns, as
// test data, and a loader for the shared CloudTrail corpus.
//
// Every pattern text is copied character for character from its source
// (../shared/spec/cis-controls.md, or the Prowler transcription that spec
// cites); `origin` says which, and the corpus test checks that each kSpec text
// occurs verbatim in cis-controls.md. Nothing here compiles a pattern: the
// tables and the constexpr helpers are usable from bench/ too, which does not
// link test support (only ListCorpusFiles and LoadCorpus live in the .cc).
//
//   for (const CisPattern& p : kCisPatterns) {
//     auto m = pattern::Matcher::Compile(p.text);
//     ...
//   }
//
// The corpus is every file under shared/data/cloudtrail/ except those in
// kExcludedCorpusFiles (broken or not CloudTrail), read with
// ingest::MessageReader in kAuto mode: one message per CloudTrail record.
//
// Thread safety: the tables are immutable; LoadCorpus() has no shared state.

#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tw::testing {

// Where a pattern's text was copied from.
enum class CisOrigin {
  kSpec,     // verbatim in ../shared/spec/cis-controls.md
  kProwler,  // verbatim from prowler compliance/aws/cis_4.0_aws.json (audit text); the
             // spec quotes only a fragment of it or describes the change in prose
  kDerived,  // built by us from a change the spec describes ("the same, unquoted");
             // not a published text, kept to exercise the syntax variant
};

struct CisPattern {
  std::string_view id;     // "CW.4" for Security Hub controls, "CIS4.0-4.6" for benchmark text
  std::string_view title;  // what the control watches
  CisOrigin origin;
  // True for the Security Hub set CloudWatch.1-14 plus CIS 4.15 (which has no
  // Security Hub control): the patterns an account would deploy together.
  bool in_security_hub_set;
  std::string_view text;  // the filter pattern, exactly as published
};

// CloudWatch.4 / CIS 3.4 / 4.4 / 5.4, identical in every version (16 eventNames).
inline constexpr std::string_view kIamPolicyChangePattern =
    "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || "
    "($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || "
    "($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || "
    "($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || "
    "($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || "
    "($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || "
    "($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || "
    "($.eventName=DetachGroupPolicy)}";

// Every pattern of cis-controls.md, Security Hub forms first (CW.1 ... CW.14,
// CIS4.15), then the benchmark-text variants.
inline constexpr std::array kCisPatterns = {
    // ---- Security Hub CloudWatch.1-14 (CIS v1.2 / v1.4 text) and CIS 4.15 ----
    CisPattern{"CW.1", "root account usage", CisOrigin::kSpec, true,
               "{$.userIdentity.type=\"Root\" && $.userIdentity.invokedBy NOT EXISTS && "
               "$.eventType !=\"AwsServiceEvent\"}"},
    CisPattern{"CW.2", "unauthorized API calls", CisOrigin::kSpec, true,
               "{($.errorCode=\"*UnauthorizedOperation\") || ($.errorCode=\"AccessDenied*\")}"},
    CisPattern{"CW.3", "console sign-in without MFA", CisOrigin::kSpec, true,
               "{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != \"Yes\") "
               "&& ($.userIdentity.type = \"IAMUser\") && "
               "($.responseElements.ConsoleLogin = \"Success\") }"},
    CisPattern{"CW.4", "IAM policy changes", CisOrigin::kSpec, true, kIamPolicyChangePattern},
    CisPattern{"CW.5", "CloudTrail configuration changes", CisOrigin::kSpec, true,
               "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
               "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
               "($.eventName = StopLogging) }"},
    CisPattern{"CW.6", "console authentication failures", CisOrigin::kSpec, true,
               "{ ($.eventName = ConsoleLogin) && ($.errorMessage = \"Failed authentication\") }"},
    CisPattern{"CW.7", "disabling or scheduled deletion of CMKs", CisOrigin::kSpec, true,
               "{($.eventSource = kms.amazonaws.com) && "
               "(($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"},
    CisPattern{
        "CW.8", "S3 bucket policy changes", CisOrigin::kSpec, true,
        "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || "
        "($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || "
        "($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || "
        "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || "
        "($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }"},
    CisPattern{"CW.9", "AWS Config configuration changes", CisOrigin::kSpec, true,
               "{ ($.eventSource = config.amazonaws.com) && "
               "(($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||"
               "($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"},
    CisPattern{
        "CW.10", "security group changes", CisOrigin::kSpec, true,
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || "
        "($.eventName = AuthorizeSecurityGroupEgress) || "
        "($.eventName = RevokeSecurityGroupIngress) || "
        "($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || "
        "($.eventName = DeleteSecurityGroup) }"},
    CisPattern{"CW.11", "NACL changes", CisOrigin::kSpec, true,
               "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || "
               "($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || "
               "($.eventName = ReplaceNetworkAclEntry) || "
               "($.eventName = ReplaceNetworkAclAssociation) }"},
    CisPattern{
        "CW.12", "network gateway changes", CisOrigin::kSpec, true,
        "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || "
        "($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || "
        "($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"},
    CisPattern{"CW.13", "route table changes", CisOrigin::kSpec, true,
               "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || "
               "($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || "
               "($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || "
               "($.eventName = DisassociateRouteTable) }"},
    CisPattern{
        "CW.14", "VPC changes", CisOrigin::kSpec, true,
        "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || "
        "($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || "
        "($.eventName = CreateVpcPeeringConnection) || "
        "($.eventName = DeleteVpcPeeringConnection) || "
        "($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || "
        "($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || "
        "($.eventName = EnableVpcClassicLink) }"},
    CisPattern{
        "CIS4.15", "AWS Organizations changes (CIS v1.4-v3.0, quoted)", CisOrigin::kSpec, true,
        "{ ($.eventSource = organizations.amazonaws.com) && "
        "(($.eventName = \"AcceptHandshake\") || ($.eventName = \"AttachPolicy\") || "
        "($.eventName = \"CreateAccount\") || ($.eventName = \"CreateOrganizationalUnit\") || "
        "($.eventName = \"CreatePolicy\") || ($.eventName = \"DeclineHandshake\") || "
        "($.eventName = \"DeleteOrganization\") || "
        "($.eventName = \"DeleteOrganizationalUnit\") || ($.eventName = \"DeletePolicy\") || "
        "($.eventName = \"DetachPolicy\") || ($.eventName = \"DisablePolicyType\") || "
        "($.eventName = \"EnablePolicyType\") || "
        "($.eventName = \"InviteAccountToOrganization\") || "
        "($.eventName = \"LeaveOrganization\") || ($.eventName = \"MoveAccount\") || "
        "($.eventName = \"RemoveAccountFromOrganization\") || "
        "($.eventName = \"UpdatePolicy\") || ($.eventName = \"UpdateOrganizationalUnit\")) }"},

    // ---- CIS benchmark-text variants ----
    CisPattern{"CIS-root", "root account usage, CIS text (spaced, quoted)", CisOrigin::kSpec, false,
               "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && "
               "$.eventType != \"AwsServiceEvent\" }"},
    // Four terms joined with ||: matches (nearly) everything. See cis-controls.md section 1.
    CisPattern{"CIS1.4-4.1-allor", "unauthorized API calls, CIS v1.4-v3.0 as transcribed",
               CisOrigin::kSpec, false,
               "{ ($.errorCode = *UnauthorizedOperation) || ($.errorCode = AccessDenied*) || "
               "($.sourceIPAddress!=delivery.logs.amazonaws.com) || ($.eventName!=HeadBucket) }"},
    // Precedence trap: *UnauthorizedOperation || (AccessDenied* && ... && ...).
    CisPattern{"CIS4.0-4.1", "unauthorized API calls, CIS v4.0.1+", CisOrigin::kSpec, false,
               "{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && "
               "($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }"},
    CisPattern{
        "CIS1.2-3.2", "console sign-in without MFA, CIS v1.2-v3.0 two-term form", CisOrigin::kSpec,
        false,
        "{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != \"Yes\") }"},
    CisPattern{"CIS4.0-4.2", "console sign-in without MFA, CIS v4.0.1+ two-term, unquoted",
               CisOrigin::kProwler, false,
               "{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes) }"},
    CisPattern{"CIS4.0-4.2-sso", "console sign-in without MFA, CIS v4.0.1+ four-term, unquoted",
               CisOrigin::kProwler, false,
               "{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes) && "
               "($.userIdentity.type = IAMUser) && ($.responseElements.ConsoleLogin = Success) }"},
    CisPattern{"CIS4.0-4.3", "root account usage, CIS v4.0.1+ unquoted", CisOrigin::kProwler, false,
               "{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS && "
               "$.eventType != AwsServiceEvent }"},
    // A bare value with an embedded space: a parser edge case.
    CisPattern{"CIS4.0-4.6", "console authentication failures, CIS v4.0.1+ unquoted",
               CisOrigin::kProwler, false,
               "{ ($.eventName = ConsoleLogin) && ($.errorMessage = Failed authentication) }"},
    CisPattern{
        "CIS5.0-4.10", "security group changes, CIS v5.0+ (adds ModifySecurityGroupRules)",
        CisOrigin::kDerived, false,
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || "
        "($.eventName = AuthorizeSecurityGroupEgress) || "
        "($.eventName = RevokeSecurityGroupIngress) || "
        "($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || "
        "($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }"},
    // Precedence trap: the eventSource guard binds to CreateRoute only.
    CisPattern{
        "CIS3.0-4.13", "route table changes, CIS v3.0+ audit text", CisOrigin::kSpec, false,
        "{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || "
        "($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || "
        "($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || "
        "($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }"},
    CisPattern{
        "CIS4.0-4.15", "AWS Organizations changes, CIS v4.0+ unquoted", CisOrigin::kDerived, false,
        "{ ($.eventSource = organizations.amazonaws.com) && "
        "(($.eventName = AcceptHandshake) || ($.eventName = AttachPolicy) || "
        "($.eventName = CreateAccount) || ($.eventName = CreateOrganizationalUnit) || "
        "($.eventName = CreatePolicy) || ($.eventName = DeclineHandshake) || "
        "($.eventName = DeleteOrganization) || ($.eventName = DeleteOrganizationalUnit) || "
        "($.eventName = DeletePolicy) || ($.eventName = DetachPolicy) || "
        "($.eventName = DisablePolicyType) || ($.eventName = EnablePolicyType) || "
        "($.eventName = InviteAccountToOrganization) || ($.eventName = LeaveOrganization) || "
        "($.eventName = MoveAccount) || ($.eventName = RemoveAccountFromOrganization) || "
        "($.eventName = UpdatePolicy) || ($.eventName = UpdateOrganizationalUnit)) }"},
};

// The pattern with this id, or nullptr.
constexpr const CisPattern* FindCisPattern(std::string_view id) {
  for (const CisPattern& p : kCisPatterns) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

// Files under shared/data/cloudtrail/ that are not part of the event corpus,
// relative to that directory, with the reason.
struct ExcludedFile {
  std::string_view path;
  std::string_view reason;
};
inline constexpr std::array kExcludedCorpusFiles = {
    ExcludedFile{"SOURCES.md", "documentation, not data"},
    ExcludedFile{"aws-cloudtrail-processing-library/SerializerTestFileBadJsonFormat.json",
                 "deliberately invalid JSON (a parser edge case)"},
    ExcludedFile{"aws-cloudtrail-processing-library/SQSMessageBody",
                 "an SNS->SQS 'new log file' notification, not CloudTrail records"},
    ExcludedFile{"aws-cloudtrail-processing-library/SQSMessageBodyWrongFormat",
                 "a malformed SNS->SQS notification, not CloudTrail records"},
    ExcludedFile{"panther-analysis/rule_test_labels.jsonl",
                 "Panther's expected-result labels for rule_test_events.jsonl, not events"},
};

constexpr bool IsExcludedCorpusFile(std::string_view relative_path) {
  for (const ExcludedFile& f : kExcludedCorpusFiles) {
    if (f.path == relative_path) return true;
  }
  return false;
}

// Every regular file under `cloudtrail_dir`, as paths relative to it, sorted;
// `include_excluded` adds the files of kExcludedCorpusFiles.
Result<std::vector<std::string>> ListCorpusFiles(const std::string& cloudtrail_dir,
                                                 bool include_excluded);

// The messages of one corpus file, in file order.
struct CorpusFile {
  std::string relative_path;  // e.g. "stratus-red-team/aws.defense-evasion.cloudtrail-stop.json"
  std::vector<std::string> messages;
};

// Reads every corpus file (ListCorpusFiles without the excluded ones) with
// ingest::MessageReader in kAuto mode. Fails with the reader's status, which
// names the file, if any file cannot be read completely.
Result<std::vector<CorpusFile>> LoadCorpus(const std::string& cloudtrail_dir);

}  // namespace tw::testing
