// cluster/ndbd/fs/crc32c.h: CRC-32C (Castagnoli), the checksum on every
// record and block halb-ndbd writes to disk.
#pragma once

#include <cstdint>
#include <string_view>

namespace halb::cluster::fs {

uint32_t crc32c(std::string_view bytes, uint32_t crc = 0);

}  // namespace halb::cluster::fs
