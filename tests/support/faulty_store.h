// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "zae/errors.h"
#include "zae/store.h"

namespace zae::test {

// A Store decorator for outage and round-trip tests: forwards every call to `inner`, counts
// calls per method name ("consume", "read_config_levels", ...), and throws on demand.
//
// Thread-safe. namespace_name, capabilities and describe are forwarded without counting or
// failing (they are local and the limiter uses describe() to report a failure).
class FaultyStore final : public Store {
 public:
  // What an armed method throws.
  enum class Fault {
    kInfrastructure,  // InfrastructureError("injected failure: <method>", transient)
    kOther,           // std::runtime_error: a non-library exception (ACQ-5 "any other")
    kOutcomeUnknown,  // WriteOutcomeUnknownError: sent, no answer (nothing applied here)
  };

  explicit FaultyStore(std::shared_ptr<Store> inner) : inner_(std::move(inner)) {}

  // Makes `method` throw for its next `times` calls (forever when times < 0).
  void fail(const std::string& method, int times = -1, Fault fault = Fault::kInfrastructure) {
    std::lock_guard lock(mutex_);
    failing_[method] = Arm{times, fault};
  }
  // Makes every counted method throw until heal().
  void fail_all(Fault fault = Fault::kInfrastructure) {
    std::lock_guard lock(mutex_);
    fail_all_ = fault;
  }
  void heal() {
    std::lock_guard lock(mutex_);
    failing_.clear();
    fail_all_.reset();
  }

  // Runs `hook(method)` after every counted call returns successfully, outside the lock: lets a
  // test change the world between a store read and what the caller does with it.
  void after_call(std::function<void(std::string_view)> hook) {
    std::lock_guard lock(mutex_);
    after_call_ = std::move(hook);
  }

  // Replaces the result of consume() when it returns a value (the request is not forwarded).
  void intercept_consume(std::function<std::optional<ConsumeResult>(const ConsumeRequest&)> hook) {
    std::lock_guard lock(mutex_);
    consume_hook_ = std::move(hook);
  }

  std::size_t calls(std::string_view method) const {
    std::lock_guard lock(mutex_);
    const auto it = calls_.find(method);
    return it == calls_.end() ? 0 : it->second;
  }
  std::size_t total_calls() const {
    std::lock_guard lock(mutex_);
    std::size_t total = 0;
    for (const auto& [method, count] : calls_) {
      total += count;
    }
    return total;
  }
  void reset_counts() {
    std::lock_guard lock(mutex_);
    calls_.clear();
  }
  // Every consume request seen, in order.
  std::vector<ConsumeRequest> consume_requests() const {
    std::lock_guard lock(mutex_);
    return consume_requests_;
  }

  Store& inner() { return *inner_; }

  const std::string& namespace_name() const override { return inner_->namespace_name(); }
  StoreCapabilities capabilities() const override { return inner_->capabilities(); }
  std::string describe() const override { return inner_->describe(); }
  bool is_available() noexcept override {
    try {
      enter("is_available");
    } catch (...) {
      return false;
    }
    return inner_->is_available();
  }

  ConsumeResult consume(const ConsumeRequest& request) override {
    enter("consume");
    std::function<std::optional<ConsumeResult>(const ConsumeRequest&)> hook;
    {
      std::lock_guard lock(mutex_);
      consume_requests_.push_back(request);
      hook = consume_hook_;
    }
    std::optional<ConsumeResult> result;
    if (hook) {
      result = hook(request);
    }
    if (!result.has_value()) {
      result = inner_->consume(request);
    }
    after("consume");
    return *std::move(result);
  }
  void apply_deltas(std::span<const BucketDelta> deltas, TimePoint now) override {
    forward("apply_deltas", [&] { inner_->apply_deltas(deltas, now); });
  }
  std::optional<BucketState> get_bucket(const std::string& entity_id,
                                        const std::string& resource) override {
    return forward("get_bucket", [&] { return inner_->get_bucket(entity_id, resource); });
  }
  std::vector<BucketState> get_buckets(const std::string& entity_id) override {
    return forward("get_buckets", [&] { return inner_->get_buckets(entity_id); });
  }

  Entity create_entity(const CreateEntityRequest& request, TimePoint now) override {
    return forward("create_entity", [&] { return inner_->create_entity(request, now); });
  }
  std::optional<Entity> get_entity(const std::string& entity_id) override {
    return forward("get_entity", [&] { return inner_->get_entity(entity_id); });
  }
  std::size_t delete_entity(const std::string& entity_id,
                            const std::optional<std::string>& principal, TimePoint now) override {
    return forward("delete_entity",
                   [&] { return inner_->delete_entity(entity_id, principal, now); });
  }
  std::vector<Entity> get_children(const std::string& parent_id) override {
    return forward("get_children", [&] { return inner_->get_children(parent_id); });
  }

  void set_limits(const std::string& entity_id, const std::string& resource,
                  const std::vector<Limit>& limits, const std::optional<std::string>& principal,
                  TimePoint now) override {
    forward("set_limits", [&] { inner_->set_limits(entity_id, resource, limits, principal, now); });
  }
  std::vector<Limit> get_limits(const std::string& entity_id,
                                const std::string& resource) override {
    return forward("get_limits", [&] { return inner_->get_limits(entity_id, resource); });
  }
  bool delete_limits(const std::string& entity_id, const std::string& resource,
                     const std::optional<std::string>& principal, TimePoint now) override {
    return forward("delete_limits",
                   [&] { return inner_->delete_limits(entity_id, resource, principal, now); });
  }
  void set_resource_defaults(const std::string& resource, const std::vector<Limit>& limits,
                             const std::optional<std::string>& principal, TimePoint now) override {
    forward("set_resource_defaults",
            [&] { inner_->set_resource_defaults(resource, limits, principal, now); });
  }
  std::vector<Limit> get_resource_defaults(const std::string& resource) override {
    return forward("get_resource_defaults",
                   [&] { return inner_->get_resource_defaults(resource); });
  }
  void delete_resource_defaults(const std::string& resource,
                                const std::optional<std::string>& principal,
                                TimePoint now) override {
    forward("delete_resource_defaults",
            [&] { inner_->delete_resource_defaults(resource, principal, now); });
  }
  std::vector<std::string> list_resources_with_defaults() override {
    return forward("list_resources_with_defaults",
                   [&] { return inner_->list_resources_with_defaults(); });
  }
  void set_system_defaults(const SystemDefaults& defaults,
                           const std::optional<std::string>& principal, TimePoint now) override {
    forward("set_system_defaults", [&] { inner_->set_system_defaults(defaults, principal, now); });
  }
  SystemDefaults get_system_defaults() override {
    return forward("get_system_defaults", [&] { return inner_->get_system_defaults(); });
  }
  void delete_system_defaults(const std::optional<std::string>& principal, TimePoint now) override {
    forward("delete_system_defaults", [&] { inner_->delete_system_defaults(principal, now); });
  }
  std::vector<std::string> list_resources_with_entity_configs() override {
    return forward("list_resources_with_entity_configs",
                   [&] { return inner_->list_resources_with_entity_configs(); });
  }
  std::vector<std::string> list_entities_with_custom_limits(const std::string& resource) override {
    return forward("list_entities_with_custom_limits",
                   [&] { return inner_->list_entities_with_custom_limits(resource); });
  }
  ConfigLevels read_config_levels(const ConfigQuery& query) override {
    return forward("read_config_levels", [&] { return inner_->read_config_levels(query); });
  }
  std::vector<AuditEvent> get_audit_events(
      const std::string& entity_id, std::size_t limit,
      const std::optional<std::string>& start_event_id) override {
    return forward("get_audit_events",
                   [&] { return inner_->get_audit_events(entity_id, limit, start_event_id); });
  }
  UsagePage get_usage_snapshots(const UsageQuery& query) override {
    return forward("get_usage_snapshots", [&] { return inner_->get_usage_snapshots(query); });
  }
  std::optional<ProvisionerState> get_provisioner_state() override {
    return forward("get_provisioner_state", [&] { return inner_->get_provisioner_state(); });
  }
  void put_provisioner_state(const ProvisionerState& state) override {
    forward("put_provisioner_state", [&] { inner_->put_provisioner_state(state); });
  }

 private:
  struct Arm {
    int remaining;
    Fault fault;
  };

  template <class Call>
  std::invoke_result_t<Call&> forward(const char* method, Call&& call) {
    enter(method);
    if constexpr (std::is_void_v<std::invoke_result_t<Call&>>) {
      call();
      after(method);
    } else {
      auto result = call();
      after(method);
      return result;
    }
  }

  void after(const char* method) {
    std::function<void(std::string_view)> hook;
    {
      std::lock_guard lock(mutex_);
      hook = after_call_;
    }
    if (hook) {
      hook(method);
    }
  }

  // Counts the call, then throws if the method is armed.
  void enter(const char* method) {
    std::optional<Fault> fault;
    {
      std::lock_guard lock(mutex_);
      ++calls_[method];
      if (fail_all_.has_value()) {
        fault = fail_all_;
      } else if (const auto it = failing_.find(method); it != failing_.end()) {
        fault = it->second.fault;
        if (it->second.remaining > 0 && --it->second.remaining == 0) {
          failing_.erase(it);
        }
      }
    }
    if (!fault.has_value()) {
      return;
    }
    const std::string message = std::string("injected failure: ") + method;
    if (*fault == Fault::kOther) {
      throw std::runtime_error(message);
    }
    if (*fault == Fault::kOutcomeUnknown) {
      throw WriteOutcomeUnknownError(message);
    }
    throw InfrastructureError(message, /*transient=*/true);
  }

  std::shared_ptr<Store> inner_;
  mutable std::mutex mutex_;
  std::map<std::string, std::size_t, std::less<>> calls_;
  std::map<std::string, Arm, std::less<>> failing_;
  std::optional<Fault> fail_all_;
  std::function<void(std::string_view)> after_call_;
  std::function<std::optional<ConsumeResult>(const ConsumeRequest&)> consume_hook_;
  std::vector<ConsumeRequest> consume_requests_;
};

}  // namespace zae::test
