// awsQuery responses and errors as XML. Only writing is needed: no client
// sends XML to these services.

#include <string>

#include "api/codec.h"
#include "common/java_double.h"
#include "common/json_string.h"

namespace tw::api {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Text (or, with `attribute`, a double-quoted attribute value) that every
// XML 1.0 parser reads back as `s`, as far as XML can carry it.
void AppendXmlText(std::string* out, std::string_view s, bool attribute = false) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x80) {
      std::size_t n = Utf8SequenceLength(s.substr(i));
      // U+FFFE and U+FFFF are not XML characters either.
      bool non_character = n == 3 && b == 0xEF && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
                           static_cast<unsigned char>(s[i + 2]) >= 0xBE;
      if (n == 0 || non_character) {
        out->append(kReplacement);
        i += n == 0 ? 1 : n;
      } else {
        out->append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (b) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append(attribute ? "&quot;" : "\"");
        break;
      case '\r':  // a literal one would be read back as '\n'
        out->append("&#xD;");
        break;
      case '\n':
      case '\t':
        if (attribute) {
          out->append(b == '\n' ? "&#xA;" : "&#x9;");
        } else {
          out->push_back(static_cast<char>(b));
        }
        break;
      default:
        if (b < 0x20) {
          out->append(kReplacement);  // not representable in XML 1.0
        } else {
          out->push_back(static_cast<char>(b));
        }
    }
    ++i;
  }
}

bool HasMembers(const Value& value) {
  for (const auto& [name, member] : value.members()) {
    if (!member.is_null()) return true;
  }
  return false;
}

void AppendElement(std::string* out, std::string_view name, const Value& value);

void AppendMembers(std::string* out, const Value& value) {
  for (const auto& [name, member] : value.members()) {
    if (!member.is_null()) AppendElement(out, name, member);
  }
}

void AppendEmpty(std::string* out, std::string_view name) {
  out->push_back('<');
  out->append(name);
  out->append("/>");
}

void AppendElement(std::string* out, std::string_view name, const Value& value) {
  bool empty = false;
  switch (value.kind()) {
    case Value::Kind::kNull:
      empty = true;
      break;
    case Value::Kind::kList:
      empty = value.items().empty();
      break;
    case Value::Kind::kStructure:
    case Value::Kind::kMap:
      empty = !HasMembers(value);
      break;
    default:
      break;
  }
  if (empty) return AppendEmpty(out, name);
  out->push_back('<');
  out->append(name);
  out->push_back('>');
  switch (value.kind()) {
    case Value::Kind::kNull:
      break;
    case Value::Kind::kBool:
      out->append(value.AsBool() ? "true" : "false");
      break;
    case Value::Kind::kInteger:
      out->append(std::to_string(value.AsInteger()));
      break;
    case Value::Kind::kDouble:
      out->append(JavaDoubleToString(value.AsDouble()));
      break;
    case Value::Kind::kString:
      AppendXmlText(out, value.AsString());
      break;
    case Value::Kind::kTimestamp:
      // As Java's Instant prints them: the milliseconds only when not zero.
      out->append(FormatIso8601(value.AsTimestamp()));
      break;
    case Value::Kind::kBlob:
      out->append(EncodeBase64(value.AsString()));
      break;
    case Value::Kind::kList:
      for (const Value& item : value.items()) AppendElement(out, "member", item);
      break;
    case Value::Kind::kStructure:
      AppendMembers(out, value);
      break;
    case Value::Kind::kMap:
      for (const auto& [key, entry] : value.members()) {
        if (entry.is_null()) continue;
        out->append("<entry><key>");
        AppendXmlText(out, key);
        out->append("</key>");
        AppendElement(out, "value", entry);
        out->append("</entry>");
      }
      break;
  }
  out->append("</");
  out->append(name);
  out->push_back('>');
}

void AppendOpen(std::string* out, std::string_view name, std::string_view xml_namespace) {
  out->push_back('<');
  out->append(name);
  out->append(" xmlns=\"");
  AppendXmlText(out, xml_namespace, /*attribute=*/true);
  out->append("\">");
}

void AppendTextElement(std::string* out, std::string_view name, std::string_view text) {
  out->push_back('<');
  out->append(name);
  out->push_back('>');
  AppendXmlText(out, text);
  out->append("</");
  out->append(name);
  out->push_back('>');
}

}  // namespace

std::string EncodeQueryResponse(std::string_view operation, std::string_view xml_namespace,
                                const Value& output, std::string_view request_id) {
  std::string out;
  std::string response = std::string(operation) + "Response";
  AppendOpen(&out, response, xml_namespace);
  // Operations whose model has an output shape with no members still send
  // its empty element, and botocore looks for it; the others send none.
  const bool empty_result = operation == "TagResource" || operation == "UntagResource";
  if (HasMembers(output)) {
    std::string result = std::string(operation) + "Result";
    out.append("<").append(result).append(">");
    AppendMembers(&out, output);
    out.append("</").append(result).append(">");
  } else if (empty_result) {
    out.append("<").append(operation).append("Result/>");
  }
  out.append("<ResponseMetadata>");
  AppendTextElement(&out, "RequestId", request_id);
  out.append("</ResponseMetadata></").append(response).append(">");
  return out;
}

std::string EncodeQueryError(std::string_view xml_namespace, bool sender, std::string_view code,
                             std::string_view message, std::string_view request_id) {
  std::string out;
  AppendOpen(&out, "ErrorResponse", xml_namespace);
  out.append("<Error>");
  AppendTextElement(&out, "Type", sender ? "Sender" : "Receiver");
  AppendTextElement(&out, "Code", code);
  // Some AWS errors carry no message at all (SetAlarmState's ResourceNotFound).
  if (!message.empty()) AppendTextElement(&out, "Message", message);
  out.append("</Error>");
  AppendTextElement(&out, "RequestId", request_id);
  out.append("</ErrorResponse>");
  return out;
}

}  // namespace tw::api
