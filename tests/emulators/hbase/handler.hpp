#pragma once
// HbaseIf on top of Store + ScannerRegistry: translates wire structs and maps the
// store's errors onto the IDL exceptions a real gateway would send.
#include <atomic>
#include <memory>

#include "Hbase.h"
#include "faults.hpp"
#include "scanner.hpp"
#include "store.hpp"

namespace hbase_emu {

class Handler : public sluice::hbase::wire::HbaseIf {
 public:
  using Text = sluice::hbase::wire::Text;
  using Bytes = sluice::hbase::wire::Bytes;
  using Attrs = std::map<Text, Text>;

  Handler(std::shared_ptr<Store> store, std::shared_ptr<ScannerRegistry> scanners)
      : store_(std::move(store)), scanners_(std::move(scanners)) {}

  // Known only once the server listens; reported in TRegionInfo.port.
  void set_port(int port) { port_ = port; }

  void getTableNames(std::vector<Text>& ret) override;
  void getColumnDescriptors(std::map<Text, sluice::hbase::wire::ColumnDescriptor>& ret, const Text& table) override;
  void getTableRegions(std::vector<sluice::hbase::wire::TRegionInfo>& ret, const Text& table) override;
  void createTable(const Text& table, const std::vector<sluice::hbase::wire::ColumnDescriptor>& families) override;
  void deleteTable(const Text& table) override;
  void enableTable(const Bytes& table) override;
  void disableTable(const Bytes& table) override;
  bool isTableEnabled(const Bytes& table) override;
  void getRow(std::vector<sluice::hbase::wire::TRowResult>& ret, const Text& table, const Text& row,
              const Attrs& attributes) override;
  void mutateRow(const Text& table, const Text& row, const std::vector<sluice::hbase::wire::Mutation>& mutations,
                 const Attrs& attributes) override;
  void mutateRows(const Text& table, const std::vector<sluice::hbase::wire::BatchMutation>& batches,
                  const Attrs& attributes) override;
  void mutateRowsTs(const Text& table, const std::vector<sluice::hbase::wire::BatchMutation>& batches,
                    int64_t timestamp, const Attrs& attributes) override;
  void deleteAllRow(const Text& table, const Text& row, const Attrs& attributes) override;
  sluice::hbase::wire::ScannerID scannerOpenWithScan(const Text& table, const sluice::hbase::wire::TScan& scan,
                                                     const Attrs& attributes) override;
  void scannerGet(std::vector<sluice::hbase::wire::TRowResult>& ret, sluice::hbase::wire::ScannerID id) override;
  void scannerGetList(std::vector<sluice::hbase::wire::TRowResult>& ret, sluice::hbase::wire::ScannerID id,
                      int32_t nb_rows) override;
  void scannerClose(sluice::hbase::wire::ScannerID id) override;

  // scannerGetList's fast path: serialises the whole reply message straight from the
  // store into `out` instead of building TRowResult maps (several times faster on big
  // scans). Throws the IDL exceptions before anything is written.
  void write_scanner_get_list(apache::thrift::protocol::TProtocol* out, int32_t seqid, int32_t id, int32_t nb_rows);

 private:
  void mutate(const Text& table, const std::vector<sluice::hbase::wire::BatchMutation>& batches, int64_t ts,
              bool deletes_first);
  void inject_ioerror(int32_t id);  // the --ioerror-every fault, if this call drew it
  void get_list(std::vector<sluice::hbase::wire::TRowResult>& ret, int32_t id, int32_t n, bool is_get_list);

  std::shared_ptr<Store> store_;
  std::shared_ptr<ScannerRegistry> scanners_;
  std::atomic<int> port_{0};
};

// Converts store results to the wire form: either the `columns` map or, for
// sortColumns scanners, the `sortedColumns` list, with exactly one __isset bit.
sluice::hbase::wire::TRowResult to_row_result(ScanResult&& r, bool sorted);

}  // namespace hbase_emu
