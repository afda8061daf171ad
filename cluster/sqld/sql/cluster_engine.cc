// cluster/sqld/sql/cluster_engine.cc: the Engine halb-sqld runs (see
// cluster_engine.h): ndb-cluster-connection-pool api::Connections (each its
// own API node id; session threads spread over them), the catalog, and
// sessions.
#include "cluster/sqld/sql/cluster_engine.h"

#include <algorithm>

#include "cluster/sqld/sql/cluster_session.h"

namespace halb::cluster::sqld {

namespace {

class ClusterEngine final : public Engine {
 public:
  explicit ClusterEngine(std::unique_ptr<EngineShared> shared) : shared_(std::move(shared)) {
    shared_->catalog->set_kill_handler([this](uint32_t id, const KillRequest& rq) {
      return kill_as(shared_->registry.load(), id, rq.query_only, rq.user, rq.may_kill_any);
    });
  }
  ~ClusterEngine() override {
    shared_->catalog->set_kill_handler(nullptr);
    shared_->catalog.reset();  // stops the refresher before the connections go
  }

  std::optional<Account> find_account(std::string_view user, std::string_view client_host) override {
    return shared_->catalog->find_account(user, client_host);
  }

  bool database_exists(std::string_view database) override {
    return shared_->catalog->database_exists(std::string(database));
  }

  std::unique_ptr<Session> open_session(const ClientInfo& client) override {
    size_t slot = shared_->sessions_opened.fetch_add(1);
    auto s = std::make_unique<ClusterSession>(*shared_, client, slot);
    if (!s->ok()) return nullptr;
    return s;
  }

  uint32_t next_connection_id() override {
    // The API node id in the top 8 bits: unique across the cluster's SQL
    // nodes without a round trip, and KILL knows whose connection it is.
    uint32_t n = shared_->next_id.fetch_add(1) & 0xFFFFFFu;
    if (n == 0) n = shared_->next_id.fetch_add(1) & 0xFFFFFFu;
    return (shared_->node_id << 24) | n;
  }

  bool cluster_available() override {
    for (auto& c : shared_->connections)
      if (!c->started_nodes().empty()) return true;
    return false;
  }

  void set_registry(ConnectionRegistry* registry) override { shared_->registry = registry; }

 private:
  std::unique_ptr<EngineShared> shared_;
};

}  // namespace

std::unique_ptr<Engine> make_cluster_engine(const EngineOptions& options, log::Logger& logger, std::string& error) {
  auto shared = std::make_unique<EngineShared>();
  shared->options = options;
  shared->logger = &logger;
  auto tables = std::make_shared<api::TableDirectory>();
  const uint32_t pool = std::max<uint32_t>(1, options.connection_pool);
  for (uint32_t i = 0; i < pool; ++i) {
    auto conn = std::make_unique<api::Connection>(&logger, tables);
    // The listed node id, else: the connectstring's nodeid (if any) is the
    // first member's, the others take any free API slot.
    std::optional<uint32_t> node_id;
    const bool listed = i < options.connection_pool_node_ids.size();
    if (listed) node_id = options.connection_pool_node_ids[i];
    else if (i > 0) node_id = 0;
    if (!conn->connect(options.connectstring, options.connect_timeout_s, error, node_id)) {
      if (listed)
        error = "ndb-cluster-connection-pool-nodeids: cluster connection " + std::to_string(i + 1) + " as node " +
                std::to_string(*node_id) + ": " + error;
      else if (i > 0)
        error = "ndb-cluster-connection-pool=" + std::to_string(pool) + ": cluster connection " +
                std::to_string(i + 1) + " got no API node id (" + error +
                "); config.ini needs a free [mysqld] or [api] slot for every pool member";
      return nullptr;
    }
    conn->start_io_thread();
    logger.info("cluster connection " + std::to_string(i + 1) + "/" + std::to_string(pool) + ": API node id " +
                std::to_string(conn->node_id()));
    shared->connections.push_back(std::move(conn));
  }
  shared->node_id = shared->connections.front()->node_id();
  std::vector<api::Connection*> raw;
  for (auto& c : shared->connections) raw.push_back(c.get());
  shared->catalog = std::make_unique<Catalog>(raw, logger);
  if (!shared->catalog->open(options.initial_root_password, error)) return nullptr;
  shared->globals = std::make_unique<GlobalVars>(options);
  return std::make_unique<ClusterEngine>(std::move(shared));
}

}  // namespace halb::cluster::sqld
