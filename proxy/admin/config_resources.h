// The configuration resources of the admin API: the whole configuration, virtual services, their
// pools and real servers. Every write goes through ConfigEditor (one validated, saved change).
#pragma once

#include <string>

#include "proxy/admin/admin_types.h"
#include "proxy/admin/config_editor.h"

namespace espd::admin {

class ConfigResources {
 public:
  explicit ConfigResources(AdminBackend& backend) : backend_(backend), editor_(backend) {}

  AdminResponse get_config();
  AdminResponse put_config(const AdminRequest& request, const nlohmann::json& body);
  AdminResponse validate_config(const nlohmann::json& body);

  AdminResponse list_services();
  AdminResponse create_service(const AdminRequest& request, const nlohmann::json& body);
  AdminResponse get_service(const std::string& name);
  AdminResponse put_service(const AdminRequest& request, const std::string& name,
                            const nlohmann::json& body);
  AdminResponse patch_service(const AdminRequest& request, const std::string& name,
                              const nlohmann::json& patch);
  AdminResponse delete_service(const AdminRequest& request, const std::string& name);

  AdminResponse list_pools(const std::string& service);
  AdminResponse create_pool(const AdminRequest& request, const std::string& service,
                            const nlohmann::json& body);
  AdminResponse get_pool(const std::string& service, const std::string& pool);
  AdminResponse put_pool(const AdminRequest& request, const std::string& service,
                         const std::string& pool, const nlohmann::json& body);
  AdminResponse patch_pool(const AdminRequest& request, const std::string& service,
                           const std::string& pool, const nlohmann::json& patch);
  AdminResponse delete_pool(const AdminRequest& request, const std::string& service,
                            const std::string& pool);

  // Real servers are named "address:port" ("[IPv6]:port").
  AdminResponse list_real_servers(const std::string& service, const std::string& pool);
  AdminResponse create_real_server(const AdminRequest& request, const std::string& service,
                                   const std::string& pool, const nlohmann::json& body);
  AdminResponse get_real_server(const std::string& service, const std::string& pool,
                                const std::string& id);
  AdminResponse put_real_server(const AdminRequest& request, const std::string& service,
                                const std::string& pool, const std::string& id,
                                const nlohmann::json& body);
  AdminResponse patch_real_server(const AdminRequest& request, const std::string& service,
                                  const std::string& pool, const std::string& id,
                                  const nlohmann::json& patch);
  AdminResponse delete_real_server(const AdminRequest& request, const std::string& service,
                                   const std::string& pool, const std::string& id);

 private:
  AdminBackend& backend_;
  ConfigEditor editor_;
};

}  // namespace espd::admin
