#pragma once
// `hbase-emulator --data FILE`: the store survives a restart of the gateway, as a
// real HBase's tables survive a restart of its Thrift server. The file is read at
// start (when it exists) and written on a clean stop (SIGTERM/SIGINT); a killed
// emulator (SIGKILL) keeps the state of its last clean stop. Every table keeps its
// families, enabled flag, regions (boundaries and ids: sluice checkpoints scans per
// region) and every retained cell version with its timestamp.
#include <string>

#include "store.hpp"

namespace hbase_emu {

// Writes FILE.tmp, then renames it over FILE, so a crash mid-save keeps the old file.
void save_snapshot(const Store& store, const std::string& path);
// Loads FILE into an empty store; throws std::runtime_error on a damaged file.
void load_snapshot(Store& store, const std::string& path);

}  // namespace hbase_emu
