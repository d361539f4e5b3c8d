// The wire formats of the three services, to and from api::Value
// (spec aws-protocols-alarms.md §1.3-1.6).
//
// Decoders never throw and never trust their input: malformed bodies are
// kInvalidArgument with a message the client can act on ("request body is
// not valid JSON: ..."), and they bound nesting depth (kMaxNestingDepth) and
// sizes (nothing is allocated beyond what the input's length justifies).
// Any value is accepted at the top level; the operation decides whether a
// body that is not a Structure is an error (InputReader reads it as empty).
//
// Encoders cannot fail. A Null member of a Structure or Map means "absent"
// and is left out by every encoder (a Null List item stays: JSON and CBOR
// null, an empty <member/> in XML). Invalid UTF-8 in text is written as
// U+FFFD, so the output is always well-formed.
//
// All functions are pure and thread-safe.

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/value.h"
#include "common/status.h"

namespace tw::api {

// Containers (arrays, objects, lists, maps; in CBOR also tags) nested deeper
// than this are rejected by every decoder.
inline constexpr int kMaxNestingDepth = 64;

// --- awsJson1_0 / awsJson1_1 ---
// An empty body is an empty Structure. Objects become Structures (an
// operation that expects a map reads a Structure as one; of a repeated key
// the last value wins), arrays Lists, null Null, numbers written without a
// fraction or exponent Integers (beyond the int64 range: Doubles), other
// numbers Doubles. Strings must be valid UTF-8. Errors read
// "request body is not valid JSON: <what, with line and column>".
Result<Value> DecodeJson(std::string_view body);
// DecodeJson without its simdjson fast path: nlohmann's parser alone, the
// reference the fast path must agree with (codec_test, api_codec_fuzz).
Result<Value> DecodeJsonReference(std::string_view body);
// Timestamps are written as epoch seconds (with a millisecond fraction when
// not whole: 1700000000.123), as JSON 1.0 clients expect; Blobs as base64
// strings; Maps and Structures as objects; Doubles in the shortest form that
// reads back exactly ("5.0", "1.0E7"), and NaN and the infinities as the
// strings "NaN", "Infinity", "-Infinity" (Smithy's JSON convention).
std::string EncodeJson(const Value& value);

// --- awsQuery ---
// Parses an application/x-www-form-urlencoded string (a body or a query
// string; '+' and %XX decoded) into a Structure of its parameters:
//   A=1                      -> {A:"1"}
//   L.member.1=x&L.member.2=y -> {L:["x","y"]}   (indices ordered numerically)
//   S.Name=n&S.Value=v       -> {S:{Name:"n",Value:"v"}}
//   M.entry.1.key=k&M.entry.1.value=v   -> {M:map{k:"v"}}
//   M.entry.1.Name=k&M.entry.1.Value.DataType=String -> {M:map{k:{DataType:"String"}}}
//   L=                       -> {L:""}   (an empty list, as botocore sends it)
// Every scalar stays a String. Action and Version are kept like any other
// parameter; members keep the order in which they first appear; a repeated
// parameter takes its last value. "member.N" / "entry.N" are only list items /
// map entries when N is a decimal index; gaps in the numbering close up. An
// entry names its key with "key" or "Name" and its value with "value" or
// "Value". An empty value next to members of the same path ("L=" and
// "L.member.1=x") is the empty marker and gives way to the members.
// kInvalidArgument: a malformed escape, an empty name or name segment, an
// index of more than 18 digits, a path that is both a (non-empty) value and
// a container or two kinds of container (list, map, structure), an entry
// without a key or value, or names nested deeper than kMaxNestingDepth.
Result<Value> DecodeQuery(std::string_view form);

// The XML body of a successful awsQuery response:
//   <{operation}Response xmlns="{xml_namespace}"><{operation}Result>...members...
//   </{operation}Result><ResponseMetadata><RequestId>{id}</RequestId></ResponseMetadata>
//   </{operation}Response>
// The Result element is left out when `output` has no (non-Null) members.
// Lists are <member> elements (an empty list <Name/>), Maps
// <entry><key/><value/></entry> (a value may be a structure), Structures
// nested elements, Timestamps ISO 8601 UTC with milliseconds, Doubles as
// Java's Double.toString prints them, Booleans true/false, Blobs base64,
// text XML-escaped (& < >; a carriage return as &#xD; so that it survives;
// characters XML 1.0 forbids become U+FFFD). Member names are written as
// element names unchanged: they come from the operation, not the client.
std::string EncodeQueryResponse(std::string_view operation, std::string_view xml_namespace,
                                const Value& output, std::string_view request_id);

// <ErrorResponse xmlns="..."><Error><Type>Sender|Receiver</Type><Code/><Message/></Error>
// <RequestId/></ErrorResponse>
std::string EncodeQueryError(std::string_view xml_namespace, bool sender, std::string_view code,
                             std::string_view message, std::string_view request_id);

// --- Smithy RPC v2 CBOR ---
// Definite and indefinite lengths accepted; tag 1 (epoch seconds, integer
// or float, within years 0000-9999; rounded to the millisecond) becomes a
// Timestamp, any other tag is its content; byte strings Blobs; maps
// Structures (keys must be text; of a repeated key the last value wins);
// half, single and double floats Doubles; integers beyond the int64 range
// Doubles; undefined Null; text must be valid UTF-8. Nothing may follow the
// item. An empty body is an empty Structure. Errors read
// "request body is not valid CBOR: <what> at byte <offset>".
Result<Value> DecodeCbor(std::string_view body);
// Definite lengths, the shortest integer forms, float64 for Doubles, tag 1 +
// float64 for Timestamps; Maps and Structures as maps with text keys.
std::string EncodeCbor(const Value& value);

// --- shared ---
// Standard base64 with padding (RFC 4648 §4), as Blobs travel in JSON and
// XML (and SNS's BinaryValue arrives in awsQuery).
std::string EncodeBase64(std::string_view bytes);
// Accepts the standard alphabet with or without the padding; nullopt for
// anything else (whitespace included).
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace tw::api
