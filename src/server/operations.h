// The AWS operations of `trailwatch serve`, registered into the router's
// table: each reads its members (operation_args.h), calls the Engine under
// its lock, and answers with the output members of the service's model
// (spec aws-protocols-alarms.md §3).

#pragma once

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

}  // namespace tw::server
