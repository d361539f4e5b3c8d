#include "api/errors.h"

namespace tw::api {
namespace {

ApiError Make(int status, std::string code, std::string shape, std::string message) {
  return ApiError{status, std::move(code), std::move(shape), std::move(message), ""};
}

// A failure of the server, not of the request: the client learns that and
// whether to retry; what failed (a statement, the store's address) stays
// in the log, where on_response puts `detail`.
// Other codes that reach a service's catch-all keep their message.
ApiError ServerFault(ApiError error, const Status& status) {
  switch (status.code()) {
    case StatusCode::kUnavailable:
      error.message = "The service is unavailable; try again.";
      break;
    case StatusCode::kInternal:
    case StatusCode::kIo:
    case StatusCode::kDataLoss:
      error.message = "The server failed to process the request; its log has the details.";
      break;
    default:
      error.message = status.message();
      return error;
  }
  error.detail = status.message();
  return error;
}

}  // namespace

const char* ServiceName(Service service) {
  switch (service) {
    case Service::kLogs:
      return "logs";
    case Service::kCloudWatch:
      return "monitoring";
    case Service::kSns:
      return "sns";
  }
  return "logs";
}

ApiError LogsError(std::string shape, std::string message, int http_status) {
  std::string code = shape;
  return Make(http_status, std::move(code), std::move(shape), std::move(message));
}

ApiError LogsErrorFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return LogsError("ResourceNotFoundException", status.message());
    case StatusCode::kAlreadyExists:
      return LogsError("ResourceAlreadyExistsException", status.message());
    case StatusCode::kInvalidArgument:
      return LogsError("InvalidParameterException", status.message());
    case StatusCode::kResourceExhausted:
      return LogsError("LimitExceededException", status.message());
    case StatusCode::kUnavailable:
      return ServerFault(LogsError("ServiceUnavailableException", "", 503), status);
    default:
      return ServerFault(LogsError("ServiceUnavailableException", "", 500), status);
  }
}

ApiError InvalidParameterValue(std::string message) {
  return Make(400, "InvalidParameterValue", "InvalidParameterValueException", std::move(message));
}
ApiError MissingParameter(std::string message) {
  return Make(400, "MissingParameter", "MissingRequiredParameterException", std::move(message));
}
ApiError InvalidParameterCombination(std::string message) {
  return Make(400, "InvalidParameterCombination", "InvalidParameterCombinationException",
              std::move(message));
}
ApiError ResourceNotFound(std::string message) {
  return Make(404, "ResourceNotFound", "ResourceNotFound", std::move(message));
}
ApiError ResourceNotFoundException(std::string message) {
  return Make(404, "ResourceNotFoundException", "ResourceNotFoundException", std::move(message));
}
ApiError LimitExceeded(std::string message) {
  return Make(400, "LimitExceeded", "LimitExceededFault", std::move(message));
}
ApiError InvalidNextToken(std::string message) {
  return Make(400, "InvalidNextToken", "InvalidNextToken", std::move(message));
}
ApiError InvalidFormat(std::string message) {
  return Make(400, "InvalidFormat", "InvalidFormatFault", std::move(message));
}
ApiError ValidationError(std::string message) {
  // JSON 1.0 and CBOR name AWS's request validator, as CloudWatch does; the
  // query code (and x-amzn-query-error) stays ValidationError.
  return Make(400, "ValidationError", "com.amazon.coral.validate#ValidationException",
              std::move(message));
}
ApiError InternalServiceError(std::string message) {
  return Make(500, "InternalServiceError", "InternalServiceFault", std::move(message));
}

ApiError CloudWatchErrorFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return ResourceNotFound(status.message());
    case StatusCode::kInvalidArgument:
      return InvalidParameterValue(status.message());
    case StatusCode::kResourceExhausted:
      return LimitExceeded(status.message());
    default:
      return ServerFault(InternalServiceError(""), status);
  }
}

ApiError SnsInvalidParameter(std::string message) {
  return Make(400, "InvalidParameter", "InvalidParameterException", std::move(message));
}
ApiError SnsNotFound(std::string message) {
  return Make(404, "NotFound", "NotFoundException", std::move(message));
}
ApiError SnsResourceNotFound(std::string message) {
  return Make(404, "ResourceNotFound", "ResourceNotFoundException", std::move(message));
}
ApiError SnsTagLimitExceeded(std::string message) {
  return Make(400, "TagLimitExceeded", "TagLimitExceededException", std::move(message));
}
ApiError SnsBatchError(std::string code, std::string message) {
  std::string shape = code + "Exception";
  return Make(400, std::move(code), std::move(shape), std::move(message));
}
ApiError SnsInternalError(std::string message) {
  return Make(500, "InternalError", "InternalErrorException", std::move(message));
}
ApiError SnsAuthorizationError(std::string message) {
  return Make(403, "AuthorizationError", "AuthorizationErrorException", std::move(message));
}

ApiError SnsErrorFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return SnsNotFound(status.message());
    case StatusCode::kInvalidArgument:
      return SnsInvalidParameter(status.message());
    case StatusCode::kPermissionDenied:
      return SnsAuthorizationError(status.message());
    default:
      return ServerFault(SnsInternalError(""), status);
  }
}

ApiError UnknownOperation(Service service, std::string operation) {
  if (service == Service::kLogs) {
    return LogsError("UnknownOperationException", "Unknown operation " + operation);
  }
  return Make(400, "InvalidAction", "UnknownOperationException",
              "The action " + operation + " is not valid for this web service.");
}

ApiError MalformedRequest(Service service, std::string message) {
  if (service == Service::kLogs) return LogsError("SerializationException", std::move(message));
  return Make(400, "MalformedInput", "SerializationException", std::move(message));
}

ApiError AuthFailure(Service service, const AuthError& error) {
  const bool logs = service == Service::kLogs;
  auto pick = [&](const char* logs_shape, const char* query_code, int query_status) {
    return logs ? LogsError(logs_shape, error.message)
                : Make(query_status, query_code, query_code, error.message);
  };
  switch (error.kind) {
    case AuthErrorKind::kMissing:
      return pick("MissingAuthenticationTokenException", "MissingAuthenticationToken", 403);
    case AuthErrorKind::kIncomplete:
      return pick("IncompleteSignatureException", "IncompleteSignature", 400);
    case AuthErrorKind::kUnknownKey:
      return pick("UnrecognizedClientException", "InvalidClientTokenId", 403);
    case AuthErrorKind::kMismatch:
    case AuthErrorKind::kExpired:
    case AuthErrorKind::kWrongScope:
      return pick("InvalidSignatureException", "SignatureDoesNotMatch", 403);
  }
  return pick("InvalidSignatureException", "SignatureDoesNotMatch", 403);
}

ApiError RequestTooLarge(Service service, std::size_t size, std::size_t limit) {
  std::string message =
      "Request size " + std::to_string(size) + " exceeded " + std::to_string(limit) + " bytes";
  if (service == Service::kLogs) return LogsError("InvalidParameterException", message, 413);
  return Make(413, "RequestEntityTooLarge", "RequestEntityTooLarge", message);
}

ApiError HttpRefusal(Service service, int http_status, std::string message) {
  std::string code;
  switch (http_status) {
    case 408:
      code = "RequestTimeout";
      break;
    case 413:
      code = "RequestEntityTooLarge";
      break;
    case 503:
      code = "ServiceUnavailable";
      break;
    default:
      code = "BadRequest";
      break;
  }
  if (service == Service::kLogs) {
    return LogsError(http_status == 413   ? "InvalidParameterException"
                     : http_status == 503 ? "ServiceUnavailableException"
                                          : code + "Exception",
                     std::move(message), http_status);
  }
  return Make(http_status, code, code + (http_status == 413 ? "" : "Exception"),
              std::move(message));
}

}  // namespace tw::api
