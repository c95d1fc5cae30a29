#include "snapshot.hpp"

#include <cstdio>
#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>

namespace hbase_emu {

namespace {

const std::string kMagic = "hbase-emulator snapshot 1\n";

// Integers as 8 little-endian bytes, strings as their length then their bytes.
class writer {
 public:
  explicit writer(std::ofstream& out) : out_(out) {}
  void u64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.write(b, 8);
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void str(const std::string& s) {
    u64(s.size());
    out_.write(s.data(), static_cast<std::streamsize>(s.size()));
  }

 private:
  std::ofstream& out_;
};

class reader {
 public:
  reader(std::ifstream& in, std::string path) : in_(in), path_(std::move(path)) {}
  uint64_t u64() {
    unsigned char b[8];
    if (!in_.read(reinterpret_cast<char*>(b), 8)) damaged("truncated");
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  std::string str() {
    uint64_t n = u64();
    if (n > (1u << 30)) damaged("implausible string length");
    std::string s(n, '\0');
    if (n && !in_.read(s.data(), static_cast<std::streamsize>(n))) damaged("truncated");
    return s;
  }
  [[noreturn]] void damaged(const std::string& why) const {
    throw std::runtime_error("snapshot " + path_ + ": " + why);
  }

 private:
  std::ifstream& in_;
  std::string path_;
};

}  // namespace

void save_snapshot(const Store& store, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out.write(kMagic.data(), static_cast<std::streamsize>(kMagic.size()));
    writer w(out);
    const auto names = store.table_names();
    w.u64(names.size());
    for (const auto& name : names) {
      auto t = store.get(name);
      std::shared_lock lk(t->mu);
      w.str(name);
      w.u64(store.is_enabled(name) ? 1 : 0);
      w.u64(t->families.size());
      for (const auto& [fam, f] : t->families) {
        w.str(fam);
        w.i64(f.max_versions);
        w.i64(f.ttl);
      }
      w.u64(t->regions().size());
      for (const auto& r : t->regions()) {
        w.str(r.start);
        w.str(r.end);
        w.i64(r.id);
      }
      w.u64(t->rows().size());
      for (const auto& [key, cells] : t->rows()) {
        w.str(key);
        w.u64(cells.size());
        for (const auto& c : cells) {
          w.str(c.column);
          w.i64(c.ts);
          w.str(c.value);
        }
      }
    }
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

void load_snapshot(Store& store, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  reader r(in, path);
  std::string magic(kMagic.size(), '\0');
  if (!in.read(magic.data(), static_cast<std::streamsize>(magic.size())) || magic != kMagic)
    r.damaged("not an hbase-emulator snapshot");
  const uint64_t tables = r.u64();
  for (uint64_t ti = 0; ti < tables; ++ti) {
    const std::string name = r.str();
    const bool enabled = r.u64() != 0;
    std::map<std::string, Family> families;
    for (uint64_t n = r.u64(); n > 0; --n) {
      std::string fam = r.str();
      Family f;
      f.max_versions = static_cast<int32_t>(r.i64());
      f.ttl = static_cast<int32_t>(r.i64());
      families.emplace(std::move(fam), f);
    }
    store.create_table(name, families);
    auto t = store.get(name);
    std::vector<Region> regions(r.u64());
    for (auto& reg : regions) {
      reg.start = r.str();
      reg.end = r.str();
      reg.id = r.i64();
    }
    std::unique_lock lk(t->mu);
    for (uint64_t n = r.u64(); n > 0; --n) {
      const std::string key = r.str();
      for (uint64_t c = r.u64(); c > 0; --c) {
        std::string column = r.str();
        const int64_t ts = r.i64();
        t->put(key, column, ts, r.str());
      }
    }
    try {
      t->restore_regions(std::move(regions));
    } catch (const std::exception& e) {
      r.damaged(e.what());
    }
    lk.unlock();
    if (!enabled) store.set_enabled(name, false);
  }
  if (in.peek() != std::ifstream::traits_type::eof()) r.damaged("trailing bytes");
}

}  // namespace hbase_emu
