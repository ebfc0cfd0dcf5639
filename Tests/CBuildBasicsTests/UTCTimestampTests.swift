import CBuildBasics
import Foundation
import Testing

/// The lock line and run ids are formatted without Foundation's
/// formatters; they must say what those say.
@Suite struct UTCTimestampTests {
    @Test func formatsAsFoundationsFormattersDo() {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        let compact = DateFormatter()
        compact.locale = Locale(identifier: "en_US_POSIX")
        compact.timeZone = TimeZone(identifier: "UTC")
        compact.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        var dates = (0..<2000).map { _ in Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800)) }
        dates += [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_399.999), Date(timeIntervalSince1970: 1_798_761_599.5)]
        for d in dates {
            #expect(UTCTimestamp.iso8601(d) == iso.string(from: d), "\(d.timeIntervalSince1970)")
            #expect(UTCTimestamp.compact(d) == compact.string(from: d), "\(d.timeIntervalSince1970)")
        }
    }
}
