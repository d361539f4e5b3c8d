// FilterSet::Evaluate on a warm EventView: events that no filter matches,
// with no default value to publish, cost no allocation (the common case for
// a log group with CIS filters over CloudTrail).

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "support/allocation_counter.h"

namespace tw::metrics {
namespace {

MetricFilter MustCompile(std::string pattern, std::string value,
                         std::vector<std::pair<std::string, std::string>> dimensions = {}) {
  MetricFilterSpec spec;
  spec.filter_name = "f";
  spec.log_group_name = "trail";
  spec.filter_pattern = std::move(pattern);
  spec.transformation.metric_namespace = "NS";
  spec.transformation.metric_name = "M";
  spec.transformation.metric_value = std::move(value);
  spec.transformation.dimensions = std::move(dimensions);
  auto filter = MetricFilter::Compile(std::move(spec));
  EXPECT_TRUE(filter.ok()) << (filter.ok() ? "" : filter.status().message());
  return std::move(filter).value();
}

FilterSet CisLikeFilters() {
  return FilterSet({
      MustCompile(R"({ ($.eventName = DeleteGroupPolicy) || ($.eventName = PutUserPolicy) })", "1"),
      MustCompile(R"({ $.userIdentity.type = "Root" && $.eventType != "AwsServiceEvent" })",
                  "$.bytes", {{"Account", "$.recipientAccountId"}}),
      MustCompile(R"({ $.errorCode = "*UnauthorizedOperation" })", "1"),
      MustCompile("[ip, user, status=5*, bytes]", "$bytes", {{"User", "$user"}}),
      MustCompile("?FATAL ?panic", "1"),
  });
}

// Evaluates `misses` (after a warm-up) and returns the allocations made.
long AllocationsForMisses(const FilterSet& set, const std::vector<std::string>& misses) {
  event::EventView view;
  std::vector<Observation> out;
  out.reserve(16);
  for (const std::string& e : misses) {  // warm-up: the view's buffers reach their size
    view.Reset(e);
    (void)set.Evaluate(view, FromEpochMillis(0), &out);
  }
  EXPECT_TRUE(out.empty());
  std::size_t matched = 0;
  long allocations = 0;
  {
    testing::AllocationCounter counter;
    for (int round = 0; round < 20; ++round) {
      for (const std::string& e : misses) {
        view.Reset(e);
        matched += set.Evaluate(view, FromEpochMillis(round), &out);
      }
    }
    allocations = counter.count();
  }
  EXPECT_EQ(matched, 0u);
  EXPECT_TRUE(out.empty());
  return allocations;
}

TEST(FilterSetAllocationTest, NonMatchingEventsWithoutDefaultsDoNotAllocate) {
  FilterSet set = CisLikeFilters();
  std::vector<std::string> misses = {
      R"({"eventName":"GetObject","userIdentity":{"type":"IAMUser"},"eventType":"AwsApiCall"})",
      R"({"eventName":"Describe","errorCode":"AccessDenied","recipientAccountId":"1234"})",
      "host-a bob 200 512", "plain text line without anything"};
  EXPECT_EQ(AllocationsForMisses(set, misses), 0);

  // The counter works: a match builds an observation with owned strings.
  const std::string hit = "host-a a-rather-long-user-name-beyond-sso 503 512";
  event::EventView view;
  std::vector<Observation> out;
  out.reserve(16);
  view.Reset(hit);
  long allocations = 0;
  std::size_t matched = 0;
  {
    testing::AllocationCounter counter;
    matched = set.Evaluate(view, FromEpochMillis(0), &out);
    allocations = counter.count();
  }
  EXPECT_EQ(matched, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key.dimensions, (Dimensions{{"User", "a-rather-long-user-name-beyond-sso"}}));
  EXPECT_GT(allocations, 0);
}

// Known gap in event::EventView, not in metrics: a non-JSON line that starts
// like a JSON scalar ("10.0.0.1 - - [...]", the usual access-log line) goes
// to simdjson, whose stage 2 copies a root scalar into a fresh heap buffer,
// and the NUMBER_ERROR retry in EventView::Json() does it a second time: two
// allocations per such event once any filter of the set is a JSON pattern
// (the parse is memoized per event). Enable once
// EventView rejects messages that cannot hold an object or array.
TEST(FilterSetAllocationTest, DISABLED_DigitFirstTextLinesDoNotAllocate) {
  EXPECT_EQ(AllocationsForMisses(CisLikeFilters(), {"10.0.0.1 bob 200 512"}), 0);
}

}  // namespace
}  // namespace tw::metrics
