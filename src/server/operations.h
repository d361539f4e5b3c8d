// The AWS operations of `trailwatch serve`, registered into the router's
// table: each reads its members (operation_args.h), calls the Engine under
// its lock, and answers with the output members of the service's model
// (spec aws-protocols-alarms.md §3).

#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/router.h"
#include "server/engine.h"

namespace tw::server {

// CloudWatch Logs (awsJson1_1): log groups and streams, PutLogEvents,
// GetLogEvents, FilterLogEvents, metric filters, TestMetricFilter,
// retention, tags.
void RegisterLogsOperations(api::Operations* operations, Engine* engine);

// CloudWatch (awsQuery, awsJson1_0, RPC v2 CBOR): PutMetricData,
// GetMetricStatistics, GetMetricData, ListMetrics, the alarm operations.
void RegisterCloudWatchOperations(api::Operations* operations, Engine* engine);

// SNS (awsQuery): topics, subscriptions with the confirmation flow, Publish.
void RegisterSnsOperations(api::Operations* operations, Engine* engine);

// TagResource, UntagResource and ListTagsForResource of CloudWatch or SNS
// (the same shapes; the ARN member is "ResourceARN" in CloudWatch and
// "ResourceArn" in SNS). `tags(arn, add, remove, list)` finds the resource
// and answers: {"Tags": [...]} when `list`, else removes, then adds.
using TagHandler = std::function<Result<api::Value, api::ApiError>(
    const std::string& arn, const std::map<std::string, std::string>& add,
    const std::vector<std::string>& remove, bool list)>;
void RegisterTagOperations(api::Operations* operations, api::Service service,
                           std::string arn_member, TagHandler tags);

}  // namespace tw::server
