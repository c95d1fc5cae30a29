#pragma once
// The subset of HBase's filter language (ParseFilter) that sluice relies on.
// Parsing errors throw std::runtime_error, which the generated processor turns into
// a TApplicationException, as a real gateway does.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace hbase_emu {

// A candidate cell during filtering. Filters drop candidates or blank their value;
// the original cell stays untouched in the store.
struct CellRef {
  const Cell* cell;
  uint32_t index;        // position in the candidate list, used to merge OR branches
  bool key_only = false;
};

class Filter {
 public:
  virtual ~Filter() = default;
  // Returns whether the row passes; may remove or alter entries of `cells`, which hold
  // every version visible under the scan's time bound (column asc, ts desc).
  virtual bool apply(const std::string& row, std::vector<CellRef>& cells) const = 0;
};

std::unique_ptr<Filter> parse_filter(std::string_view text);

}  // namespace hbase_emu
