import Foundation
import GRDB
import GRDBSQLite

/// Steps a statement with SQLite's C API and hands each row's columns out
/// by position. For the few queries a no-op build reads thousands of rows
/// with (the digest cache, every node's current build): GRDB's generic
/// `Row` costs a retained object and a type check per column, which was
/// most of those reads' time. Everything else uses GRDB's records.
struct RawRows {
    let statement: OpaquePointer

    /// Runs `sql` and calls `body` for each row; throws SQLite's error.
    static func each(_ db: Database, _ sql: String, _ body: (RawRows) throws -> Void) throws {
        let prepared = try db.makeStatement(sql: sql)
        let stmt = prepared.sqliteStatement
        defer { sqlite3_reset(stmt) }
        let row = RawRows(statement: stmt)
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                    sql: sql)
            }
            try body(row)
        }
    }

    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(statement, i) == SQLITE_NULL }
    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(statement, i) }
    func double(_ i: Int32) -> Double? { isNull(i) ? nil : sqlite3_column_double(statement, i) }

    /// The column's text bytes (valid until the next step), nil when NULL.
    func utf8(_ i: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard let p = sqlite3_column_text(statement, i) else { return nil }
        return UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(statement, i)))
    }

    func string(_ i: Int32) -> String? { utf8(i).map { String(decoding: $0, as: UTF8.self) } }

    /// A date GRDB stored (`YYYY-MM-DD HH:MM:SS.SSS`, UTC), or a number of
    /// seconds since 1970; nil when the column holds neither.
    func date(_ i: Int32) -> Date? {
        switch sqlite3_column_type(statement, i) {
        case SQLITE_INTEGER, SQLITE_FLOAT: return Date(timeIntervalSince1970: sqlite3_column_double(statement, i))
        case SQLITE_TEXT: return utf8(i).flatMap(RawRows.parseDate)
        default: return nil
        }
    }

    /// Parses GRDB's date text without a formatter (one per row showed in
    /// profiles): `YYYY-MM-DD HH:MM:SS` with optional `.fraction`.
    static func parseDate(_ s: UnsafeBufferPointer<UInt8>) -> Date? {
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= s.count else { return nil }
            var v = 0
            for k in from..<(from + count) {
                let c = s[k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard s.count >= 19, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"),
              s[10] == UInt8(ascii: " ") || s[10] == UInt8(ascii: "T"), s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":"),
              let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2),
              let h = number(11, 2), let mi = number(14, 2), let sec = number(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
        var fraction = 0.0
        if s.count > 19 {
            guard s[19] == UInt8(ascii: "."), s.count > 20 else { return nil }
            var scale = 0.1
            for k in 20..<s.count {
                let c = s[k]
                guard c >= 48 && c <= 57 else { return nil }
                fraction += Double(c - 48) * scale
                scale /= 10
            }
        }
        // Days from 1970-01-01 in the proleptic Gregorian calendar.
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = Double(days * 86_400 + h * 3600 + mi * 60 + sec) + fraction
        return Date(timeIntervalSince1970: seconds)
    }
}
