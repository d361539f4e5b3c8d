// SNS operations (awsQuery, spec aws-protocols-alarms.md §3.3, §5.4) on
// notify::Sns; the confirmation links and the signing certificate are
// served by the server's unsigned routes (serve.cc).

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "common/url.h"
#include "server/operation_args.h"
#include "server/operations.h"

namespace tw::server {
namespace {

using api::ApiError;
using api::Service;
using V = api::Value;
using Output = Result<V, ApiError>;

constexpr Service kSns = Service::kSns;
constexpr std::size_t kPage = 100;

ApiError Fail(const Status& status) { return api::SnsErrorFor(status); }

// PublishBatch's limits: 10 entries, 256 KiB of messages in all.
constexpr std::size_t kMaxBatchEntries = 10;
constexpr std::size_t kMaxBatchBytes = 256 * 1024;

// A batch entry Id: 1-80 ASCII letters, digits, hyphens and underscores.
bool IsBatchEntryId(std::string_view id) {
  return !id.empty() && id.size() <= 80 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

V AttributesValue(const std::map<std::string, std::string>& attributes) {
  V map = V::Map();
  for (const auto& [k, v] : attributes) map.Set(k, V::String(v));
  return map;
}

// An entry of ListSubscriptions / ListSubscriptionsByTopic. The endpoint's
// password is masked: AWS documents that an HTTPS URL with credentials is
// only retrievable in full through GetSubscriptionAttributes.
V SubscriptionValue(const notify::Subscription& s) {
  return V::Structure({{"SubscriptionArn", V::String(s.confirmed ? s.arn : "PendingConfirmation")},
                       {"Owner", V::String(s.owner)},
                       {"Protocol", V::String(s.protocol)},
                       {"Endpoint", V::String(RedactUrlPasswords(s.endpoint))},
                       {"TopicArn", V::String(s.topic_arn)}});
}

// A page of `items` from the token's offset, with the next token.
template <typename T, typename F>
Output Paged(const std::vector<T>& items, const std::optional<std::string>& token,
             const char* list_name, F&& to_value) {
  std::optional<std::size_t> offset = PageOffset(token);
  if (!offset) return api::SnsInvalidParameter("Invalid parameter: NextToken");
  V list = V::List();
  for (std::size_t i = *offset; i < items.size() && i < *offset + kPage; ++i) {
    list.Append(to_value(items[i]));
  }
  V out = V::Structure({{list_name, std::move(list)}});
  if (*offset + kPage < items.size())
    out.Set("NextToken", V::String(std::to_string(*offset + kPage)));
  return out;
}

// Publish's MessageStructure=json: a JSON object with a string "default"
// and optional per-protocol strings.
Result<std::map<std::string, std::string>, ApiError> PerProtocol(const std::string& message,
                                                                 std::string* default_message) {
  nlohmann::json j = nlohmann::json::parse(message, nullptr, false);
  if (!j.is_object()) {
    return api::SnsInvalidParameter(
        "Invalid parameter: Message Structure - JSON message body failed to parse");
  }
  auto it = j.find("default");
  if (it == j.end() || !it->is_string()) {
    return api::SnsInvalidParameter(
        "Invalid parameter: Message Structure - No default entry in JSON message body");
  }
  *default_message = it->get<std::string>();
  std::map<std::string, std::string> out;
  for (auto m = j.begin(); m != j.end(); ++m) {
    if (m.key() == "default") continue;
    if (!m.value().is_string()) {
      return api::SnsInvalidParameter("Invalid parameter: Message Structure - the value of " +
                                      m.key() + " must be a string");
    }
    out[m.key()] = m.value().get<std::string>();
  }
  return out;
}

// What Publish and each PublishBatch entry publish: Message, Subject,
// MessageStructure (json: one message per protocol) and MessageAttributes.
Result<notify::Publication, ApiError> ReadPublication(const api::InputReader& in) {
  Args args(in, kSns);
  std::string structure;
  notify::Publication p;
  if (!args.String("Message", &p.message, kRequired) || !args.String("Subject", &p.subject) ||
      !args.String("MessageStructure", &structure)) {
    return args.error();
  }
  if (!structure.empty()) {
    if (structure != "json") return api::SnsInvalidParameter("Invalid parameter: MessageStructure");
    std::string default_message;
    auto per_protocol = PerProtocol(p.message, &default_message);
    if (!per_protocol.ok()) return per_protocol.error();
    p.per_protocol = std::move(per_protocol).value();
    p.message = std::move(default_message);
  }
  Result<std::vector<std::pair<std::string, api::InputReader>>> attributes =
      in.StructureMap("MessageAttributes");
  if (!attributes.ok()) return args.Invalid(attributes.status().message());
  for (const auto& [name, value] : *attributes) {
    Args a(value, kSns);
    std::string type, text, binary;
    if (!a.String("DataType", &type, kRequired) || !a.String("StringValue", &text) ||
        !a.String("BinaryValue", &binary)) {
      return a.error();
    }
    p.attributes[name] = notify::MessageAttribute{type, type.starts_with("Binary") ? binary : text};
  }
  p.origin = "publish";
  return p;
}

}  // namespace

void RegisterSnsOperations(api::Operations* ops, Engine* engine) {
  auto add = [&](const char* name, api::Handler handler) {
    ops->Add(kSns, name, std::move(handler));
  };

  add("CreateTopic", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kSns);
    std::string name;
    std::map<std::string, std::string> attributes;
    std::map<std::string, std::string> tags;
    if (!args.String("Name", &name, kRequired) || !args.StringMap("Attributes", &attributes) ||
        !args.Tags("Tags", &tags)) {
      return args.error();
    }
    Result<notify::Topic> topic =
        engine->Locked([&](Services& sv) { return sv.sns.CreateTopic(name, attributes, tags); });
    if (!topic.ok()) return Fail(topic.status());
    return V::Structure({{"TopicArn", V::String(topic->arn)}});
  });

  // Tags of topics (the only SNS resources that carry them).
  auto tag = [engine](const std::string& arn, const std::map<std::string, std::string>& add,
                      const std::vector<std::string>& remove, bool list) -> Output {
    return engine->Locked([&](Services& sv) -> Output {
      Result<notify::Topic> topic = sv.sns.GetTopic(arn);
      if (!topic.ok()) {
        if (topic.status().code() != StatusCode::kNotFound) return Fail(topic.status());
        return api::SnsResourceNotFound("Resource does not exist");
      }
      if (list) return V::Structure({{"Tags", TagListValue(topic->tags)}});
      Status s = sv.sns.TagTopic(arn, add, remove);
      if (s.code() == StatusCode::kResourceExhausted) {
        return api::SnsTagLimitExceeded(s.message());
      }
      if (!s.ok()) return Fail(s);
      return V::Structure();
    });
  };

  RegisterTagOperations(ops, kSns, "ResourceArn", tag);

  add("DeleteTopic", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kSns);
    std::string arn;
    if (!args.String("TopicArn", &arn, kRequired)) return args.error();
    Status s = engine->Locked([&](Services& sv) { return sv.sns.DeleteTopic(arn); });
    // DeleteTopic is idempotent: a topic already gone is not an error.
    if (!s.ok() && s.code() != StatusCode::kNotFound) return Fail(s);
    return V::Structure();
  });

  add("ListTopics", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kSns);
    std::optional<std::string> token;
    if (!args.String("NextToken", &token)) return args.error();
    Result<std::vector<notify::Topic>> topics =
        engine->Locked([](Services& sv) { return sv.sns.ListTopics(); });
    if (!topics.ok()) return Fail(topics.status());
    return Paged(*topics, token, "Topics", [](const notify::Topic& t) {
      return V::Structure({{"TopicArn", V::String(t.arn)}});
    });
  });

  add("GetTopicAttributes",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kSns);
        std::string arn;
        if (!args.String("TopicArn", &arn, kRequired)) return args.error();
        Result<std::map<std::string, std::string>> attributes =
            engine->Locked([&](Services& sv) { return sv.sns.TopicAttributes(arn); });
        if (!attributes.ok()) return Fail(attributes.status());
        return V::Structure({{"Attributes", AttributesValue(*attributes)}});
      });

  add("SetTopicAttributes",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kSns);
        std::string arn, name, value;
        if (!args.String("TopicArn", &arn, kRequired) ||
            !args.String("AttributeName", &name, kRequired) ||
            !args.String("AttributeValue", &value)) {
          return args.error();
        }
        Status s = engine->Locked(
            [&](Services& sv) { return sv.sns.SetTopicAttribute(arn, name, value); });
        if (!s.ok()) return Fail(s);
        return V::Structure();
      });

  add("Subscribe", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kSns);
    std::string topic, protocol, endpoint;
    std::map<std::string, std::string> attributes;
    bool return_arn = false;
    if (!args.String("TopicArn", &topic, kRequired) ||
        !args.String("Protocol", &protocol, kRequired) || !args.String("Endpoint", &endpoint) ||
        !args.StringMap("Attributes", &attributes) ||
        !args.Bool("ReturnSubscriptionArn", &return_arn)) {
      return args.error();
    }
    Result<notify::Subscription> sub = engine->Locked([&](Services& sv) {
      Result<notify::Subscription> made = sv.sns.Subscribe(topic, protocol, endpoint, attributes);
      sv.deliverer.Wake();
      return made;
    });
    if (!sub.ok()) return Fail(sub.status());
    const bool show = sub->confirmed || return_arn;
    return V::Structure({{"SubscriptionArn", V::String(show ? sub->arn : "pending confirmation")}});
  });

  add("ConfirmSubscription",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kSns);
        std::string topic, token, authenticate;
        if (!args.String("TopicArn", &topic, kRequired) ||
            !args.String("Token", &token, kRequired) ||
            !args.String("AuthenticateOnUnsubscribe", &authenticate)) {
          return args.error();
        }
        Result<notify::Subscription> sub = engine->Locked([&](Services& sv) {
          return sv.sns.ConfirmSubscription(topic, token, authenticate == "true");
        });
        if (!sub.ok()) return Fail(sub.status());
        return V::Structure({{"SubscriptionArn", V::String(sub->arn)}});
      });

  add("ListSubscriptions", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kSns);
    std::optional<std::string> token;
    if (!args.String("NextToken", &token)) return args.error();
    Result<std::vector<notify::Subscription>> subs =
        engine->Locked([](Services& sv) { return sv.sns.ListSubscriptions(); });
    if (!subs.ok()) return Fail(subs.status());
    return Paged(*subs, token, "Subscriptions", SubscriptionValue);
  });

  add("ListSubscriptionsByTopic",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kSns);
        std::string topic;
        std::optional<std::string> token;
        if (!args.String("TopicArn", &topic, kRequired) || !args.String("NextToken", &token)) {
          return args.error();
        }
        Result<std::vector<notify::Subscription>> subs = engine->Locked([&](Services& sv) {
          Result<notify::Topic> exists = sv.sns.GetTopic(topic);
          if (!exists.ok()) return Result<std::vector<notify::Subscription>>(exists.status());
          return sv.sns.ListSubscriptions(topic);
        });
        if (!subs.ok()) return Fail(subs.status());
        return Paged(*subs, token, "Subscriptions", SubscriptionValue);
      });

  add("Unsubscribe", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kSns);
    std::string arn;
    if (!args.String("SubscriptionArn", &arn, kRequired)) return args.error();
    Status s = engine->Locked([&](Services& sv) {
      Status done = sv.sns.Unsubscribe(arn, notify::Authentication::kSigned);
      sv.deliverer.Wake();
      return done;
    });
    if (!s.ok()) return Fail(s);
    return V::Structure();
  });

  add("GetSubscriptionAttributes",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kSns);
        std::string arn;
        if (!args.String("SubscriptionArn", &arn, kRequired)) return args.error();
        Result<std::map<std::string, std::string>> attributes =
            engine->Locked([&](Services& sv) { return sv.sns.SubscriptionAttributes(arn); });
        if (!attributes.ok()) return Fail(attributes.status());
        return V::Structure({{"Attributes", AttributesValue(*attributes)}});
      });

  add("SetSubscriptionAttributes",
      [engine](const api::InputReader& in, const api::CallContext&) -> Output {
        Args args(in, kSns);
        std::string arn, name, value;
        if (!args.String("SubscriptionArn", &arn, kRequired) ||
            !args.String("AttributeName", &name, kRequired) ||
            !args.String("AttributeValue", &value)) {
          return args.error();
        }
        Status s = engine->Locked(
            [&](Services& sv) { return sv.sns.SetSubscriptionAttribute(arn, name, value); });
        if (!s.ok()) return Fail(s);
        return V::Structure();
      });

  add("Publish", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kSns);
    std::string topic, target, phone;
    if (!args.String("TopicArn", &topic) || !args.String("TargetArn", &target) ||
        !args.String("PhoneNumber", &phone)) {
      return args.error();
    }
    if (!phone.empty()) {
      return api::SnsInvalidParameter(
          "Invalid parameter: PhoneNumber (SMS is not delivered by "
          "trailwatch)");
    }
    if (topic.empty()) topic = target;
    if (topic.empty())
      return api::SnsInvalidParameter(
          "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter");
    Result<notify::Publication, ApiError> p = ReadPublication(in);
    if (!p.ok()) return p.error();
    Result<std::string> id = engine->Locked([&](Services& sv) {
      Result<std::string> published = sv.sns.Publish(topic, *p);
      sv.deliverer.Wake();
      return published;
    });
    if (!id.ok()) return Fail(id.status());
    return V::Structure({{"MessageId", V::String(*id)}});
  });

  add("PublishBatch", [engine](const api::InputReader& in, const api::CallContext&) -> Output {
    Args args(in, kSns);
    std::string topic;
    std::vector<api::InputReader> entries;
    if (!args.String("TopicArn", &topic, kRequired) ||
        !args.List("PublishBatchRequestEntries", &entries, kRequired)) {
      return args.error();
    }
    // The whole request is refused before anything is sent (SNS's batch errors).
    if (entries.empty()) {
      return api::SnsBatchError("EmptyBatchRequest",
                                "The batch request doesn't contain any entries.");
    }
    if (entries.size() > kMaxBatchEntries) {
      return api::SnsBatchError("TooManyEntriesInBatchRequest",
                                "The batch request contains more entries than permissible.");
    }
    std::vector<std::string> ids;
    std::set<std::string> distinct;
    std::size_t total_bytes = 0;
    for (const api::InputReader& entry : entries) {
      Args ea(entry, kSns);
      std::string id, message;
      if (!ea.String("Id", &id, kRequired) || !ea.String("Message", &message)) return ea.error();
      if (!IsBatchEntryId(id)) {
        return api::SnsBatchError(
            "InvalidBatchEntryId",
            "The Id of a batch entry in a batch request doesn't abide by the specification.");
      }
      if (!distinct.insert(id).second) {
        return api::SnsBatchError("BatchEntryIdsNotDistinct",
                                  "Two or more batch entries in the request have the same Id.");
      }
      total_bytes += message.size();
      ids.push_back(std::move(id));
    }
    if (total_bytes > kMaxBatchBytes) {
      return api::SnsBatchError(
          "BatchRequestTooLong",
          "The length of all the messages put together is more than the limit.");
    }
    return engine->Locked([&](Services& sv) -> Output {
      Result<notify::Topic> found = sv.sns.GetTopic(topic);
      if (!found.ok()) return Fail(found.status());
      V successful = V::List(), failed = V::List();
      for (std::size_t i = 0; i < entries.size(); ++i) {
        Result<notify::Publication, ApiError> p = ReadPublication(entries[i]);
        Result<std::string> id = p.ok() ? sv.sns.Publish(topic, *p) : Result<std::string>("");
        std::optional<ApiError> refused;
        if (!p.ok())
          refused = p.error();
        else if (!id.ok())
          refused = Fail(id.status());
        if (refused) {
          failed.Append(V::Structure({{"Id", V::String(ids[i])},
                                      {"Code", V::String(refused->code)},
                                      {"Message", V::String(refused->message)},
                                      {"SenderFault", V::Bool(refused->sender())}}));
        } else {
          successful.Append(
              V::Structure({{"Id", V::String(ids[i])}, {"MessageId", V::String(*id)}}));
        }
      }
      sv.deliverer.Wake();
      return V::Structure({{"Successful", std::move(successful)}, {"Failed", std::move(failed)}});
    });
  });
}

}  // namespace tw::server
