// cluster/mgmapi/config_codec.cc: get config payload (see config_codec.h).
#include "cluster/mgmapi/config_codec.h"

#include "cluster/config/config_ini.h"
#include "lib/config/reader.h"

namespace halb::cluster::mgmapi {

Message encode_config(std::string_view config_ini_text) {
  Message m("get config reply");
  std::string body = base64_encode(config_ini_text);
  body += "\n";
  m.add("result", "Ok");
  m.add("Content-Length", static_cast<long long>(body.size()));
  m.add("Content-Type", std::string(kConfigContentType));
  m.add("Content-Transfer-Encoding", "base64");
  m.body = std::move(body);
  return m;
}

std::optional<ClusterConfig> decode_config(const Message& reply, std::string& error) {
  if (reply.head != "get config reply") {
    error = "unexpected reply '" + reply.head + "' to get config";
    return std::nullopt;
  }
  if (reply.get_or("Content-Type", "") != kConfigContentType) {
    error = "unsupported configuration encoding '" + reply.get_or("Content-Type", "") + "'";
    return std::nullopt;
  }
  auto text = base64_decode(reply.body);
  if (!text) {
    error = "configuration payload is not valid base64";
    return std::nullopt;
  }
  try {
    return parse_config_ini(*text, "config.ini from the management server").config;
  } catch (const config::ConfigError& e) {
    error = e.what();
    return std::nullopt;
  }
}

}  // namespace halb::cluster::mgmapi
