#pragma once
/// libpq handles (STYLE.md section 4) and the binary-format parameter and column helpers of
/// the PostgreSQL backend. Private to src/storage: libpq-fe.h goes no further.
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/free_fn.hpp"

namespace certctl::storage::pg {

using ConnPtr = std::unique_ptr<PGconn, FreeFn<PQfinish>>;
using ResultPtr = std::unique_ptr<PGresult, FreeFn<PQclear>>;
using ConninfoPtr = std::unique_ptr<PQconninfoOption, FreeFn<PQconninfoFree>>;
using NotifyPtr = std::unique_ptr<PGnotify, FreeFn<PQfreemem>>;

/// Type OIDs of the parameters we send (pg_type.dat; stable across server versions).
inline constexpr Oid kText = 25;
inline constexpr Oid kBytea = 17;
inline constexpr Oid kInt8 = 20;

/// One statement parameter, sent in binary format: text and bytea as their bytes, int8 as
/// eight big-endian bytes.
struct Param {
  Oid type;
  std::string bytes;
};
Param text(std::string_view s);
Param bytea(std::string_view s);
Param int8(std::int64_t v);

/// Columns of a result requested in binary format. col_int8 needs a bigint column (cast in
/// the SQL), col_bool a boolean one.
std::string col_bytes(const PGresult* r, int row, int col);
bool col_null(const PGresult* r, int row, int col);
std::int64_t col_int8(const PGresult* r, int row, int col);
bool col_bool(const PGresult* r, int row, int col);

/// The first line of a libpq message, trimmed and single-spaced, with `password=...` words, the user
/// information of a URI and `password` itself (when 3 or more bytes) replaced by <redacted>.
std::string clean_message(std::string_view msg, std::string_view password);

}  // namespace certctl::storage::pg
