// AWS errors as the three services answer them (spec aws-protocols-alarms.md
// §1.3-1.6, §2.6, §3). One ApiError carries everything each wire protocol
// needs: the HTTP status, the awsQuery Code (also the
// x-amzn-query-error header of JSON 1.0 / CBOR), the shape name JSON 1.0 and
// CBOR put in __type, and the message. Logs uses the shape name everywhere.
//
// This is the one table from failures to AWS error codes; operations build
// their errors with the functions below, never by hand.

#pragma once

#include <string>

#include "api/sigv4.h"
#include "common/status.h"

namespace tw::api {

enum class Service { kLogs, kCloudWatch, kSns };
const char* ServiceName(Service service);  // "logs", "monitoring", "sns" (the SigV4 names)

struct ApiError {
  int http_status = 400;
  std::string code;   // awsQuery Code / x-amzn-query-error: "InvalidParameterValue"
  std::string shape;  // __type: "InvalidParameterValueException"
  std::string message;
  // A server fault's cause (SQL, the store's address): for the server's log
  // only. Clients get a message without internals; see ServerFault.
  std::string detail;
  bool sender() const { return http_status < 500; }
};

// --- CloudWatch Logs (__type = code = shape) ---
ApiError LogsError(std::string shape, std::string message, int http_status = 400);
// kNotFound -> ResourceNotFoundException, kAlreadyExists ->
// ResourceAlreadyExistsException, kInvalidArgument -> InvalidParameterException,
// kResourceExhausted -> LimitExceededException, kUnavailable ->
// ServiceUnavailableException (503), anything else -> ServiceUnavailableException (500).
ApiError LogsErrorFor(const Status& status);

// --- CloudWatch ---
ApiError InvalidParameterValue(std::string message);
ApiError MissingParameter(std::string message);
ApiError InvalidParameterCombination(std::string message);
ApiError ResourceNotFound(std::string message);  // 404
// The tagging operations' not-found (its own shape and code), 404.
ApiError ResourceNotFoundException(std::string message);
ApiError LimitExceeded(std::string message);
ApiError InvalidNextToken(std::string message);
ApiError InvalidFormat(std::string message);
// The request validator's refusal: awsQuery ValidationError; in JSON 1.0
// and CBOR, __type com.amazon.coral.validate#ValidationException.
ApiError ValidationError(std::string message);
ApiError InternalServiceError(std::string message);  // 500
// kNotFound -> ResourceNotFound, kInvalidArgument -> InvalidParameterValue,
// kResourceExhausted -> LimitExceeded, else InternalServiceError.
ApiError CloudWatchErrorFor(const Status& status);

// --- SNS ---
ApiError SnsInvalidParameter(std::string message);  // InvalidParameter / InvalidParameterException
ApiError SnsNotFound(std::string message);          // 404 NotFound / NotFoundException
ApiError SnsResourceNotFound(std::string message);  // 404 ResourceNotFound (tagging)
ApiError SnsTagLimitExceeded(std::string message);  // 400 TagLimitExceeded
// PublishBatch's refusals of a whole request: 400, `code` (e.g.
// "EmptyBatchRequest"), shape `code` + "Exception".
ApiError SnsBatchError(std::string code, std::string message);
ApiError SnsInternalError(std::string message);       // 500
ApiError SnsAuthorizationError(std::string message);  // 403 AuthorizationError
// kNotFound -> NotFound, kInvalidArgument -> InvalidParameter,
// kPermissionDenied -> AuthorizationError, else InternalError.
ApiError SnsErrorFor(const Status& status);

// --- Any service ---
// The protocol's answer to an operation it does not have:
// UnknownOperationException (JSON) / InvalidAction (query).
ApiError UnknownOperation(Service service, std::string operation);
// A request body that cannot be decoded: SerializationException (Logs),
// MalformedQueryString / InvalidQueryParameter (query).
ApiError MalformedRequest(Service service, std::string message);
// §2.6, per service (Logs: *Exception shapes with 400; query: 403/400 codes).
ApiError AuthFailure(Service service, const AuthError& error);
// Request bodies above the service's limit: 413 with the protocol's shape.
ApiError RequestTooLarge(Service service, std::size_t size, std::size_t limit);
// A request the HTTP layer refused before it reached an operation (400
// malformed, 408 too slow, 411, 413 too large, 414, 417, 431, 501, 503
// busy, 505), in the protocol's shape with `message`.
ApiError HttpRefusal(Service service, int http_status, std::string message);

}  // namespace tw::api
