#include "handler.hpp"

#include <algorithm>

namespace hbase_emu {

namespace w = sluice::hbase::wire;

namespace {

// Runs a store operation and rethrows its errors as the IDL exceptions. Anything else
// (e.g. a filter syntax error) escapes as-is, so the client gets a TApplicationException.
template <class F>
auto translate(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const StoreIOError& e) {
    w::IOError io;
    io.message = e.what();
    io.canRetry = false;
    throw io;
  } catch (const StoreIllegalArgument& e) {
    w::IllegalArgument ia;
    ia.message = e.what();
    throw ia;
  } catch (const StoreAlreadyExists& e) {
    w::AlreadyExists ae;
    ae.message = e.what();
    throw ae;
  } catch (const ScannerInvalid& e) {
    w::IllegalArgument ia;
    ia.message = e.what();
    throw ia;
  }
}

std::string family_of(const std::string& name) { return name.substr(0, name.find(':')); }

}  // namespace

w::TRowResult to_row_result(ScanResult&& r, bool sorted) {
  w::TRowResult out;
  out.row = std::move(r.row);
  if (sorted) {
    out.sortedColumns.reserve(r.cells.size());
    for (auto& c : r.cells) {
      w::TColumn col;
      col.columnName = std::move(c.column);
      col.cell.value = std::move(c.value);
      col.cell.timestamp = c.ts;
      out.sortedColumns.push_back(std::move(col));
    }
    out.__isset.sortedColumns = true;
  } else {
    for (auto& c : r.cells) {
      w::TCell cell;
      cell.value = std::move(c.value);
      cell.timestamp = c.ts;
      out.columns.emplace(std::move(c.column), std::move(cell));
    }
    out.__isset.columns = true;
  }
  return out;
}

void Handler::getTableNames(std::vector<Text>& ret) { ret = store_->table_names(); }

void Handler::getColumnDescriptors(std::map<Text, w::ColumnDescriptor>& ret, const Text& table) {
  translate([&] {
    auto t = store_->get(table);
    for (auto& [name, fam] : t->families) {
      w::ColumnDescriptor d;
      d.name = name + ":";
      d.maxVersions = fam.max_versions;
      d.timeToLive = fam.ttl;
      d.bloomFilterType = "ROW";
      ret[d.name] = d;
    }
  });
}

void Handler::getTableRegions(std::vector<w::TRegionInfo>& ret, const Text& table) {
  auto t = store_->find(table);
  if (!t) return;  // a real gateway answers an empty list, not an error
  std::shared_lock lk(t->mu);
  for (auto& r : t->regions()) {
    w::TRegionInfo info;
    info.startKey = r.start;
    info.endKey = r.end;
    info.id = r.id;
    info.name = table + "," + r.start + "," + std::to_string(r.id);
    info.version = 1;
    info.serverName = "localhost";
    info.port = port_.load();
    ret.push_back(std::move(info));
  }
}

void Handler::createTable(const Text& table, const std::vector<w::ColumnDescriptor>& families) {
  translate([&] {
    std::map<std::string, Family> fams;
    for (auto& d : families) {
      std::string name = family_of(d.name);
      if (name.empty()) throw StoreIllegalArgument("column name is empty");
      Family f;
      f.max_versions = d.maxVersions > 0 ? d.maxVersions : 1;
      f.ttl = d.timeToLive > 0 ? d.timeToLive : 0x7fffffff;
      fams[name] = f;
    }
    if (table.empty()) throw StoreIllegalArgument("table name is empty");
    store_->create_table(table, fams);
  });
}

void Handler::deleteTable(const Text& table) { translate([&] { store_->delete_table(table); }); }
void Handler::enableTable(const Bytes& table) { translate([&] { store_->set_enabled(table, true); }); }
void Handler::disableTable(const Bytes& table) { translate([&] { store_->set_enabled(table, false); }); }
bool Handler::isTableEnabled(const Bytes& table) { return translate([&] { return store_->is_enabled(table); }); }

void Handler::getRow(std::vector<w::TRowResult>& ret, const Text& table, const Text& row, const Attrs&) {
  translate([&] {
    auto t = store_->get(table);
    std::shared_lock lk(t->mu);
    auto it = t->rows().find(row);
    if (it == t->rows().end()) return;
    ScanSpec spec;
    std::vector<CellRef> scratch, cells;
    visible_cells(row, it->second, spec, scratch, cells);
    ScanResult r{row, {}};
    for (auto& c : cells) r.cells.push_back(*c.cell);
    if (!r.cells.empty()) ret.push_back(to_row_result(std::move(r), false));
  });
}

void Handler::mutate(const Text& table, const std::vector<w::BatchMutation>& batches, int64_t ts,
                     bool deletes_first) {
  translate([&] {
    std::vector<RowMutation> rows;
    rows.reserve(batches.size());
    for (auto& b : batches) {
      RowMutation rm;
      rm.row = b.row;
      for (auto& m : b.mutations) {
        if (m.isDelete) rm.deletes.push_back(m.column);
        else rm.puts.push_back(Put{m.column, m.value});
      }
      rows.push_back(std::move(rm));
    }
    store_->mutate(table, rows, ts, deletes_first);
  });
}

void Handler::mutateRow(const Text& table, const Text& row, const std::vector<w::Mutation>& mutations,
                        const Attrs&) {
  w::BatchMutation b;
  b.row = row;
  b.mutations = mutations;
  mutate(table, {b}, -1, true);
}

void Handler::mutateRows(const Text& table, const std::vector<w::BatchMutation>& batches, const Attrs&) {
  mutate(table, batches, -1, false);
}

void Handler::mutateRowsTs(const Text& table, const std::vector<w::BatchMutation>& batches, int64_t timestamp,
                           const Attrs&) {
  mutate(table, batches, std::max<int64_t>(timestamp, 0), false);
}

void Handler::deleteAllRow(const Text& table, const Text& row, const Attrs&) {
  translate([&] { store_->delete_all_row(table, row); });
}

w::ScannerID Handler::scannerOpenWithScan(const Text& table, const w::TScan& scan, const Attrs&) {
  auto t = translate([&] { return store_->get(table); });
  ScanSpec spec;
  if (scan.__isset.startRow) spec.start = scan.startRow;
  if (scan.__isset.stopRow) spec.stop = scan.stopRow;
  if (scan.__isset.timestamp) spec.ts_below = scan.timestamp;
  if (scan.__isset.columns)
    for (auto& c : scan.columns) {
      auto pos = c.find(':');
      if (pos == std::string::npos || pos + 1 == c.size()) spec.families.insert(c.substr(0, pos));
      else spec.columns.insert(c);
    }
  if (scan.__isset.batchSize && scan.batchSize > 0) spec.batch_size = static_cast<size_t>(scan.batchSize);
  spec.sort_columns = scan.__isset.sortColumns && scan.sortColumns;
  spec.reversed = scan.__isset.reversed && scan.reversed;
  if (scan.__isset.filterString && !scan.filterString.empty()) {
    try {
      spec.filter = parse_filter(scan.filterString);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("Internal error processing scannerOpenWithScan: ") + e.what());
    }
  }
  return scanners_->open(std::move(t), std::move(spec));
}

void Handler::inject_ioerror(int32_t id) {
  const FaultDecision* d = Faults::current();
  if (!d || !d->ioerror) return;
  scanners_->forget(id);
  w::IOError io;
  io.message = "org.apache.hadoop.hbase.UnknownScannerException: lease expired (injected fault, call " +
               std::to_string(d->call_no) + ")";
  io.canRetry = false;
  throw io;
}

void Handler::write_scanner_get_list(apache::thrift::protocol::TProtocol* out, int32_t seqid, int32_t id,
                                     int32_t nb_rows) {
  using namespace apache::thrift::protocol;
  inject_ioerror(id);
  bool sorted = false;
  auto n = static_cast<size_t>(std::max(nb_rows, 1));
  translate([&] {
    scanners_->next_with(id, n, true, &sorted, [&](const std::vector<RowRef>& rows, const std::vector<CellRef>& cells) {
      // Field ids and types must match Hbase.thrift (scannerGetList_result, TRowResult,
      // TColumn, TCell); the generated reader on the client side is the check.
      out->writeMessageBegin("scannerGetList", T_REPLY, seqid);
      out->writeStructBegin("scannerGetList_result");
      out->writeFieldBegin("success", T_LIST, 0);
      out->writeListBegin(T_STRUCT, static_cast<uint32_t>(rows.size()));
      static const std::string empty;
      auto write_cell = [&](const CellRef& c) {
        out->writeStructBegin("TCell");
        out->writeFieldBegin("value", T_STRING, 1);
        out->writeBinary(c.key_only ? empty : c.cell->value);
        out->writeFieldEnd();
        out->writeFieldBegin("timestamp", T_I64, 2);
        out->writeI64(c.cell->ts);
        out->writeFieldEnd();
        out->writeFieldStop();
        out->writeStructEnd();
      };
      for (const RowRef& r : rows) {
        auto count = static_cast<uint32_t>(r.end - r.begin);
        out->writeStructBegin("TRowResult");
        out->writeFieldBegin("row", T_STRING, 1);
        out->writeBinary(*r.key);
        out->writeFieldEnd();
        if (sorted) {
          out->writeFieldBegin("sortedColumns", T_LIST, 3);
          out->writeListBegin(T_STRUCT, count);
          for (size_t i = r.begin; i < r.end; ++i) {
            out->writeStructBegin("TColumn");
            out->writeFieldBegin("columnName", T_STRING, 1);
            out->writeBinary(cells[i].cell->column);
            out->writeFieldEnd();
            out->writeFieldBegin("cell", T_STRUCT, 2);
            write_cell(cells[i]);
            out->writeFieldEnd();
            out->writeFieldStop();
            out->writeStructEnd();
          }
          out->writeListEnd();
        } else {
          out->writeFieldBegin("columns", T_MAP, 2);
          out->writeMapBegin(T_STRING, T_STRUCT, count);
          for (size_t i = r.begin; i < r.end; ++i) {
            out->writeBinary(cells[i].cell->column);
            write_cell(cells[i]);
          }
          out->writeMapEnd();
        }
        out->writeFieldEnd();
        out->writeFieldStop();
        out->writeStructEnd();
      }
      out->writeListEnd();
      out->writeFieldEnd();
      out->writeFieldStop();
      out->writeStructEnd();
      out->writeMessageEnd();
    });
  });
  // Flushing outside the table lock keeps slow readers from stalling writers (as far
  // as the transport buffers the reply).
  out->getTransport()->writeEnd();
  out->getTransport()->flush();
}

void Handler::get_list(std::vector<w::TRowResult>& ret, int32_t id, int32_t n, bool is_get_list) {
  if (is_get_list) inject_ioerror(id);
  bool sorted = false;
  auto results = translate([&] { return scanners_->next(id, static_cast<size_t>(std::max(n, 1)), is_get_list, &sorted); });
  ret.reserve(results.size());
  for (auto& r : results) ret.push_back(to_row_result(std::move(r), sorted));
}

void Handler::scannerGet(std::vector<w::TRowResult>& ret, w::ScannerID id) { get_list(ret, id, 1, false); }

void Handler::scannerGetList(std::vector<w::TRowResult>& ret, w::ScannerID id, int32_t nb_rows) {
  get_list(ret, id, nb_rows, true);
}

void Handler::scannerClose(w::ScannerID id) { translate([&] { scanners_->close(id); }); }

}  // namespace hbase_emu
