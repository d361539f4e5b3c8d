// Parser golden test: pattern text -> canonical AST string, using tw::pattern::Parse()
// and tw::pattern::ToString(const Ast&) with the canonical forms documented at the top of
// src/pattern/ast.h:
//
//   all | terms{ROLE"text" ROLE%regex% ...} | json{EXPR} | delim{FIELD ...}
//   EXPR  := and{EXPR EXPR...} | or{EXPR EXPR...} | OP{SELECTOR VALUE} | isnull{SEL} ...
//   VALUE := str"text" | glob"*te*xt*" | num"literal" | re"regex" | any
//   FIELD := ellipsis | blank | field{name} | field{name ALT|ALT}, ALT := OP{VALUE}&OP{VALUE}
//
// and{}/or{} are n-ary (a && b && c is one and{} with three children); parentheses nest;
// a parenthesized single condition is just the condition. Selectors render as written.
// Matching semantics are covered by conformance_test.cc; this file pins the parse only.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "pattern/ast.h"
#include "pattern/pattern.h"

namespace tw::pattern {
namespace {

struct GoldenRow {
  std::string_view pattern;
  std::string_view expected;
};

constexpr GoldenRow kRows[] =
    {
        // ---- Match-all
        {R"~()~", R"~(all)~"},
        {R"~(   )~", R"~(all)~"},
        {"\t \n", R"~(all)~"},
        // ---- Terms
        {R"~(ERROR)~", R"~(terms{req"ERROR"})~"},
        {R"~(?ERROR ?WARN -debug)~", R"~(terms{opt"ERROR" opt"WARN" exc"debug"})~"},
        {R"~(ERROR ARGUMENTS)~", R"~(terms{req"ERROR" req"ARGUMENTS"})~"},
        {R"~(?ERROR ?ARGUMENTS REQUEST)~", R"~(terms{opt"ERROR" opt"ARGUMENTS" req"REQUEST"})~"},
        {R"~(ERROR -ARGUMENTS)~", R"~(terms{req"ERROR" exc"ARGUMENTS"})~"},
        {R"~(-ERROR)~", R"~(terms{exc"ERROR"})~"},
        {R"~("INTERNAL SERVER ERROR")~", R"~(terms{req"INTERNAL SERVER ERROR"})~"},
        // detached prefix
        {R"~("ERROR" - "Exiting")~", R"~(terms{req"ERROR" exc"Exiting"})~"},
        {R"~(ERROR - Exiting)~", R"~(terms{req"ERROR" exc"Exiting"})~"},
        {R"~(? ERROR ? WARN)~", R"~(terms{opt"ERROR" opt"WARN"})~"},
        {R"~("[ERROR]")~", R"~(terms{req"[ERROR]"})~"},
        {R"~("[ERROR]" Exception)~", R"~(terms{req"[ERROR]" req"Exception"})~"},
        {R"~(?"disk full" ?"out of memory")~", R"~(terms{opt"disk full" opt"out of memory"})~"},
        // escaped quotes are unescaped, then rendered as \"
        {R"~("say \"hi\"")~", R"~(terms{req"say \"hi\""})~"},
        {R"~(user@example.com)~", R"~(terms{req"user@example.com"})~"},
        {"  ERROR \t Exception  ", R"~(terms{req"ERROR" req"Exception"})~"},
        {R"~(%AUTHORIZED%)~", R"~(terms{req%AUTHORIZED%})~"},
        {R"~(ERROR %4[0-9]{2}%)~", R"~(terms{req"ERROR" req%4[0-9]{2}%})~"},
        {R"~(ERROR -%^DEBUG% ?%x%)~", R"~(terms{req"ERROR" exc%^DEBUG% opt%x%})~"},
        {R"~(%^starting|^initializing|^shutting down%)~",
         R"~(terms{req%^starting|^initializing|^shutting down%})~"},
        {R"~(%\x28\d+\x29%)~", R"~(terms{req%\x28\d+\x29%})~"},
        // ---- JSON: values
        {R"~({ $.errorCode = "*Denied" })~", R"~(json{eq{$.errorCode glob"*Denied"}})~"},
        {R"~({ $.eventType = "UpdateTrail" })~", R"~(json{eq{$.eventType str"UpdateTrail"}})~"},
        {R"~({$.eventName=DeleteGroupPolicy})~",
         R"~(json{eq{$.eventName str"DeleteGroupPolicy"}})~"},
        {R"~({ $.sourceIPAddress != 123.123.* })~",
         R"~(json{ne{$.sourceIPAddress glob"123.123.*"}})~"},
        {R"~({ $.a = abc* })~", R"~(json{eq{$.a glob"abc*"}})~"},
        {R"~({ $.a = *ven* })~", R"~(json{eq{$.a glob"*ven*"}})~"},
        // a * in the middle is literal
        {R"~({ $.a = Ev*ent })~", R"~(json{eq{$.a str"Ev*ent"}})~"},
        {R"~({ $.latency = * })~", R"~(json{eq{$.latency any}})~"},
        {R"~({ $.a = "*" })~", R"~(json{eq{$.a any}})~"},
        {R"~({ $.a != * })~", R"~(json{ne{$.a any}})~"},
        {R"~({ $.latency >= 500 })~", R"~(json{ge{$.latency num"500"}})~"},
        {R"~({ $.numbers[0] < 10e3 })~", R"~(json{lt{$.numbers[0] num"10e3"}})~"},
        {R"~({ $.numbers[0] < 10e-3 })~", R"~(json{lt{$.numbers[0] num"10e-3"}})~"},
        {R"~({ $.latency > +1000 })~", R"~(json{gt{$.latency num"+1000"}})~"},
        {R"~({ $.processes[4].averageRuntime <= 55.5 })~",
         R"~(json{le{$.processes[4].averageRuntime num"55.5"}})~"},
        {R"~({ $.errorCode != 500 })~", R"~(json{ne{$.errorCode num"500"}})~"},
        {R"~({ $.n = -1 })~", R"~(json{eq{$.n num"-1"}})~"},
        {R"~({ $.number[0] = 1e+3 })~", R"~(json{eq{$.number[0] num"1e+3"}})~"},
        // quoted: a string
        {R"~({ $.a = "1e3" })~", R"~(json{eq{$.a str"1e3"}})~"},
        {R"~({ $.id = "1" })~", R"~(json{eq{$.id str"1"}})~"},
        {R"~({ $.v = 1.2.3 })~", R"~(json{eq{$.v str"1.2.3"}})~"},
        {R"~({ $.flag = true })~", R"~(json{eq{$.flag str"true"}})~"},
        {R"~({ $.eventSource = kms.amazonaws.com })~",
         R"~(json{eq{$.eventSource str"kms.amazonaws.com"}})~"},
        {R"~({ $.errorMessage = Failed authentication })~",
         R"~(json{eq{$.errorMessage str"Failed authentication"}})~"},
        {R"~({ $.msg = "say \"hi\"" })~", R"~(json{eq{$.msg str"say \"hi\""}})~"},
        {R"~({ $.a = "x && y || (z) }" })~", R"~(json{eq{$.a str"x && y || (z) }"}})~"},
        {R"~({ $.eventType = %Trail% })~", R"~(json{eq{$.eventType re"Trail"}})~"},
        {R"~({ $.a != %^x$% })~", R"~(json{ne{$.a re"^x$"}})~"},
        // ---- JSON: keywords
        {R"~({ $.SomeObject IS NULL })~", R"~(json{isnull{$.SomeObject}})~"},
        {R"~({ $.ThisFlag IS TRUE })~", R"~(json{istrue{$.ThisFlag}})~"},
        {R"~({ $.ThisFlag IS FALSE })~", R"~(json{isfalse{$.ThisFlag}})~"},
        {R"~({ $.SomeOtherObject NOT EXISTS })~", R"~(json{notexists{$.SomeOtherObject}})~"},
        {R"~({ $.a is null })~", R"~(json{isnull{$.a}})~"},
        {R"~({ $.a not exists })~", R"~(json{notexists{$.a}})~"},
        // ---- JSON: selectors (rendered as written)
        {R"~({ $.['cluster.name'] = "c" })~", R"~(json{eq{$.['cluster.name'] str"c"}})~"},
        {R"~({ $['a.b'] = 1 })~", R"~(json{eq{$['a.b'] num"1"}})~"},
        {R"~({ $["a.b"].c = 1 })~", R"~(json{eq{$["a.b"].c num"1"}})~"},
        {R"~({ $.coordinates[0][1] = nonmatch })~",
         R"~(json{eq{$.coordinates[0][1] str"nonmatch"}})~"},
        {R"~({ $.objectList[1].id = 2 })~", R"~(json{eq{$.objectList[1].id num"2"}})~"},
        {R"~({ $.arrayKey[*] = %val.{2}% })~", R"~(json{eq{$.arrayKey[*] re"val.{2}"}})~"},
        {R"~({ $.* = %111\.111\.111\.1[0-9]{1,2}% })~",
         R"~(json{eq{$.* re"111\.111\.111\.1[0-9]{1,2}"}})~"},
        {R"~({ $.objectList[*].name = b })~", R"~(json{eq{$.objectList[*].name str"b"}})~"},
        {R"~({ $.detail-type = x })~", R"~(json{eq{$.detail-type str"x"}})~"},
        {R"~({ $[0] = 1 })~", R"~(json{eq{$[0] num"1"}})~"},
        {R"~({ $[*] = 1 })~", R"~(json{eq{$[*] num"1"}})~"},
        // ---- JSON: precedence and grouping
        {R"~({ $.a = 1 || $.b = 2 && $.c = 3 })~",
         R"~(json{or{eq{$.a num"1"} and{eq{$.b num"2"} eq{$.c num"3"}}}})~"},
        {R"~({ $.a = 1 && $.b = 2 || $.c = 3 })~",
         R"~(json{or{and{eq{$.a num"1"} eq{$.b num"2"}} eq{$.c num"3"}}})~"},
        {R"~({ ($.a = 1 || $.b = 2) && $.c = 3 })~",
         R"~(json{and{or{eq{$.a num"1"} eq{$.b num"2"}} eq{$.c num"3"}}})~"},
        {R"~({ $.a = 1 && ($.b = 2 || $.c = 3) })~",
         R"~(json{and{eq{$.a num"1"} or{eq{$.b num"2"} eq{$.c num"3"}}}})~"},
        // n-ary
        {R"~({ $.a = 1 && $.b = 2 && $.c = 3 })~",
         R"~(json{and{eq{$.a num"1"} eq{$.b num"2"} eq{$.c num"3"}}})~"},
        {R"~({ $.a = 1 || $.b = 2 || $.c = 3 })~",
         R"~(json{or{eq{$.a num"1"} eq{$.b num"2"} eq{$.c num"3"}}})~"},
        // parentheses nest
        {R"~({ ($.a = 1 && $.b = 2) && $.c = 3 })~",
         R"~(json{and{and{eq{$.a num"1"} eq{$.b num"2"}} eq{$.c num"3"}}})~"},
        {R"~({ $.a = 1 || ($.b = 2 || $.c = 3) })~",
         R"~(json{or{eq{$.a num"1"} or{eq{$.b num"2"} eq{$.c num"3"}}}})~"},
        {R"~({ ($.a = 1) })~", R"~(json{eq{$.a num"1"}})~"},
        {R"~({ ((($.a = 1))) })~", R"~(json{eq{$.a num"1"}})~"},
        {R"~({ (($.a = 1 || $.b = 1) && ($.c = 1 || $.d = 1)) || $.e = 1 })~",
         R"~(json{or{and{or{eq{$.a num"1"} eq{$.b num"1"}} or{eq{$.c num"1"} eq{$.d num"1"}}} eq{$.e num"1"}}})~"},
        {R"~({ $.a = 1 && $.b NOT EXISTS || $.c IS NULL })~",
         R"~(json{or{and{eq{$.a num"1"} notexists{$.b}} isnull{$.c}}})~"},
        {R"~({ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") })~",
         R"~(json{and{eq{$.user.id num"1"} eq{$.users[0].email str"John.Doe@example.com"}}})~"},
        {R"~({ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" })~",
         R"~(json{or{and{eq{$.user.id num"2"} eq{$.users[0].email str"nonmatch"}} eq{$.actions[2] str"GET"}}})~"},
        {R"~({ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch })~",
         R"~(json{or{eq{$.user.email str"John.Stiles@example.com"} and{eq{$.coordinates[0][1] str"nonmatch"} eq{$.actions[2] str"nomatch"}}}})~"},
        {R"~({ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch })~",
         R"~(json{and{or{eq{$.user.email str"John.Stiles@example.com"} eq{$.coordinates[0][1] str"nonmatch"}} eq{$.actions[2] str"nomatch"}}})~"},
        // ---- JSON: CIS / Security Hub CloudWatch.1-.14
        {R"~({$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"})~",
         R"~(json{and{eq{$.userIdentity.type str"Root"} notexists{$.userIdentity.invokedBy} ne{$.eventType str"AwsServiceEvent"}}})~"},
        {R"~({($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")})~",
         R"~(json{or{eq{$.errorCode glob"*UnauthorizedOperation"} eq{$.errorCode glob"AccessDenied*"}}})~"},
        {R"~({ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") })~",
         R"~(json{and{eq{$.eventName str"ConsoleLogin"} ne{$.additionalEventData.MFAUsed str"Yes"} eq{$.userIdentity.type str"IAMUser"} eq{$.responseElements.ConsoleLogin str"Success"}}})~"},
        {R"~({($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)})~",
         R"~(json{or{eq{$.eventName str"DeleteGroupPolicy"} eq{$.eventName str"DeleteRolePolicy"} eq{$.eventName str"DeleteUserPolicy"} eq{$.eventName str"PutGroupPolicy"} eq{$.eventName str"PutRolePolicy"} eq{$.eventName str"PutUserPolicy"} eq{$.eventName str"CreatePolicy"} eq{$.eventName str"DeletePolicy"} eq{$.eventName str"CreatePolicyVersion"} eq{$.eventName str"DeletePolicyVersion"} eq{$.eventName str"AttachRolePolicy"} eq{$.eventName str"DetachRolePolicy"} eq{$.eventName str"AttachUserPolicy"} eq{$.eventName str"DetachUserPolicy"} eq{$.eventName str"AttachGroupPolicy"} eq{$.eventName str"DetachGroupPolicy"}}})~"},
        {R"~({($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)})~",
         R"~(json{or{eq{$.eventName str"CreateTrail"} eq{$.eventName str"UpdateTrail"} eq{$.eventName str"DeleteTrail"} eq{$.eventName str"StartLogging"} eq{$.eventName str"StopLogging"}}})~"},
        {R"~({($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")})~",
         R"~(json{and{eq{$.eventName str"ConsoleLogin"} eq{$.errorMessage str"Failed authentication"}}})~"},
        {R"~({($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))})~",
         R"~(json{and{eq{$.eventSource str"kms.amazonaws.com"} or{eq{$.eventName str"DisableKey"} eq{$.eventName str"ScheduleKeyDeletion"}}}})~"},
        {R"~({($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))})~",
         R"~(json{and{eq{$.eventSource str"s3.amazonaws.com"} or{eq{$.eventName str"PutBucketAcl"} eq{$.eventName str"PutBucketPolicy"} eq{$.eventName str"PutBucketCors"} eq{$.eventName str"PutBucketLifecycle"} eq{$.eventName str"PutBucketReplication"} eq{$.eventName str"DeleteBucketPolicy"} eq{$.eventName str"DeleteBucketCors"} eq{$.eventName str"DeleteBucketLifecycle"} eq{$.eventName str"DeleteBucketReplication"}}}})~"},
        {R"~({($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder))})~",
         R"~(json{and{eq{$.eventSource str"config.amazonaws.com"} or{eq{$.eventName str"StopConfigurationRecorder"} eq{$.eventName str"DeleteDeliveryChannel"} eq{$.eventName str"PutDeliveryChannel"} eq{$.eventName str"PutConfigurationRecorder"}}}})~"},
        {R"~({($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)})~",
         R"~(json{or{eq{$.eventName str"AuthorizeSecurityGroupIngress"} eq{$.eventName str"AuthorizeSecurityGroupEgress"} eq{$.eventName str"RevokeSecurityGroupIngress"} eq{$.eventName str"RevokeSecurityGroupEgress"} eq{$.eventName str"CreateSecurityGroup"} eq{$.eventName str"DeleteSecurityGroup"}}})~"},
        {R"~({($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)})~", R"~(json{or{eq{$.eventName str"CreateVpc"} eq{$.eventName str"DeleteVpc"} eq{$.eventName str"ModifyVpcAttribute"} eq{$.eventName str"AcceptVpcPeeringConnection"} eq{$.eventName str"CreateVpcPeeringConnection"} eq{$.eventName str"DeleteVpcPeeringConnection"} eq{$.eventName str"RejectVpcPeeringConnection"} eq{$.eventName str"AttachClassicLinkVpc"} eq{$.eventName str"DetachClassicLinkVpc"} eq{$.eventName str"DisableVpcClassicLink"} eq{$.eventName str"EnableVpcClassicLink"}}})~"},
        {R"~({ ($.eventName = ConsoleLogin) && ($.errorMessage = Failed authentication) })~",
         R"~(json{and{eq{$.eventName str"ConsoleLogin"} eq{$.errorMessage str"Failed authentication"}}})~"},
        // ---- Space-delimited
        {R"~([ip, , user=frank, ...])~",
         R"~(delim{field{ip} blank field{user eq{str"frank"}} ellipsis})~"},
        {R"~([])~", R"~(delim{})~"},
        {R"~([...])~", R"~(delim{ellipsis})~"},
        // unquoted: a one-field space-delimited pattern
        {R"~([ERROR])~", R"~(delim{field{ERROR}})~"},
        {R"~([ip, user, username, timestamp, request, status_code, bytes])~",
         R"~(delim{field{ip} field{user} field{username} field{timestamp} field{request} field{status_code} field{bytes}})~"},
        {R"~([..., status_code, bytes])~", R"~(delim{ellipsis field{status_code} field{bytes}})~"},
        {R"~([ip, user, ..., status_code, bytes])~",
         R"~(delim{field{ip} field{user} ellipsis field{status_code} field{bytes}})~"},
        {R"~([..., request=*.html*, status_code=4*,])~",
         R"~(delim{ellipsis field{request eq{glob"*.html*"}} field{status_code eq{glob"4*"}} blank})~"},
        {R"~([a, , b])~", R"~(delim{field{a} blank field{b}})~"},
        {R"~([, a])~", R"~(delim{blank field{a}})~"},
        {R"~([w1=ERROR || w1=WARNING, w2])~",
         R"~(delim{field{w1 eq{str"ERROR"}|eq{str"WARNING"}} field{w2}})~"},
        {R"~([w1!=ERROR && w1!=WARNING, w2])~",
         R"~(delim{field{w1 ne{str"ERROR"}&ne{str"WARNING"}} field{w2}})~"},
        {R"~([w1=ERROR || w1=%WARN%, w2])~",
         R"~(delim{field{w1 eq{str"ERROR"}|eq{re"WARN"}} field{w2}})~"},
        {R"~([code = 404 || code = 410])~", R"~(delim{field{code eq{num"404"}|eq{num"410"}}})~"},
        {R"~([a = 1 || a = 2 && a != 3])~",
         R"~(delim{field{a eq{num"1"}|eq{num"2"}&ne{num"3"}}})~"},
        {R"~([a = 1 && a != 2 || a = 3])~",
         R"~(delim{field{a eq{num"1"}&ne{num"2"}|eq{num"3"}}})~"},
        {R"~([ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes])~",
         R"~(delim{field{ip} field{user} field{username} field{timestamp} field{request} field{status_code eq{glob"4*"}&ne{num"403"}} field{bytes}})~"},
        {R"~([ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes])~",
         R"~(delim{field{ip eq{re"127\.0\.0\.[1-9]"}} field{user} field{username} field{timestamp} field{request eq{glob"*.html*"}} field{status_code eq{glob"4*"}} field{bytes}})~"},
        {R"~([logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time])~",
         R"~(delim{field{logLevel} field{date} field{time} field{method} field{url eq{re"/service/resource/[0-9]+$"}} field{response_time}})~"},
        {R"~([ip, server, username, timestamp, request, status_code, bytes > 1000])~",
         R"~(delim{field{ip} field{server} field{username} field{timestamp} field{request} field{status_code} field{bytes gt{num"1000"}}})~"},
        {R"~([a >= -1.5, b < 1e3, c <= 2])~",
         R"~(delim{field{a ge{num"-1.5"}} field{b lt{num"1e3"}} field{c le{num"2"}}})~"},
        {R"~([a = *, b != x*])~", R"~(delim{field{a eq{any}} field{b ne{glob"x*"}}})~"},
        {R"~([a = "x y", b = "200"])~", R"~(delim{field{a eq{str"x y"}} field{b eq{str"200"}}})~"},
        {R"~([ a = x , b ])~", R"~(delim{field{a eq{str"x"}} field{b}})~"},
        {R"~([IP, UserInfo, User, Timestamp, RequestInfo, StatusCode=404, Bytes])~",
         R"~(delim{field{IP} field{UserInfo} field{User} field{Timestamp} field{RequestInfo} field{StatusCode eq{num"404"}} field{Bytes}})~"},
};

TEST(ParserGolden, Table) {
  int failures = 0;
  for (const GoldenRow& row : kRows) {
    auto ast = Parse(row.pattern);
    if (!ast.ok()) {
      ++failures;
      ADD_FAILURE() << "pattern:  " << row.pattern << "\n  expected: " << row.expected
                    << "\n  got:      parse error: " << ast.error().ToString();
      continue;
    }
    const std::string got = ToString(*ast);
    if (got != row.expected) {
      ++failures;
      ADD_FAILURE() << "pattern:  " << row.pattern << "\n  expected: " << row.expected
                    << "\n  got:      " << got;
    }
  }
  std::printf("[ golden ] %zu rows, %d failing\n", sizeof(kRows) / sizeof(kRows[0]), failures);
}

// The same canonical form whatever the whitespace around operators and inside the braces.
TEST(ParserGolden, WhitespaceInsensitive) {
  const std::string_view spellings[] = {
      "{ $.a = 1 && $.b != \"x\" }",
      "{$.a=1&&$.b!=\"x\"}",
      "{   $.a   =   1   &&   $.b   !=   \"x\"   }",
      "\t{ $.a = 1\t&& $.b != \"x\" }\n",
  };
  for (std::string_view p : spellings) {
    auto ast = Parse(p);
    ASSERT_TRUE(ast.ok()) << p << ": " << ast.error().ToString();
    EXPECT_EQ(ToString(*ast), R"~(json{and{eq{$.a num"1"} ne{$.b str"x"}}})~") << p;
  }
}

// Matcher::ast() exposes the same tree Parse() builds.
TEST(ParserGolden, MatcherAstAgreesWithParse) {
  for (const GoldenRow& row : kRows) {
    auto parsed = Parse(row.pattern);
    auto compiled = Matcher::Compile(row.pattern);
    if (!parsed.ok() || !compiled.ok()) continue;  // reported by Table / the conformance test
    EXPECT_EQ(ToString(compiled->ast()), ToString(*parsed)) << row.pattern;
  }
}

}  // namespace
}  // namespace tw::pattern
