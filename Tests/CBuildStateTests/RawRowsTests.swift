import Testing
import Foundation
import GRDB
@testable import CBuildState

/// The C-API row reader parses GRDB's stored dates itself; it must read
/// back exactly what GRDB reads from the same column.
@Suite struct RawRowsTests {
    @Test func datesParseAsGRDBDecodesThem() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, at REAL)")
            var rng = SystemRandomNumberGenerator()
            // 1970 … 2100, millisecond and sub-millisecond parts, leap days.
            var dates = (0..<2000).map { _ in Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &rng)) }
            dates += [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400.5),   // 2000-02-29
                      Date(timeIntervalSince1970: 4_107_456_000.999)]
            for d in dates { try db.execute(sql: "INSERT INTO t (at) VALUES (?)", arguments: [d]) }
            var viaGRDB: [Date] = []
            for row in try Row.fetchAll(db, sql: "SELECT at FROM t ORDER BY id") { viaGRDB.append(row[0]) }
            var viaRaw: [Date?] = []
            try RawRows.each(db, "SELECT at FROM t ORDER BY id") { viaRaw.append($0.date(0)) }
            #expect(viaRaw.count == dates.count)
            for (g, r) in zip(viaGRDB, viaRaw) {
                #expect(r != nil && abs(r!.timeIntervalSince1970 - g.timeIntervalSince1970) < 1e-6, "GRDB \(g) raw \(String(describing: r))")
            }
        }
    }

    @Test func malformedDateTextIsNotADate() {
        for bad in ["", "2026-13-01 00:00:00", "2026-12-01", "2026/12/01 00:00:00", "2026-12-01 00:00:00.", "2026-12-01 0a:00:00"] {
            var s = bad
            let parsed = s.withUTF8 { RawRows.parseDate($0) }
            #expect(parsed == nil, "\(bad)")
        }
    }
}
