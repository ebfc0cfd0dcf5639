import Foundation

/// Reads a build's `outputs` column — the JSON array GRDB wrote for
/// `[NodeBuildRecord.Output]`, `[{"path":…,"sha256":…,"size":…}, …]` —
/// straight from its UTF-8 bytes. Every current build's outputs are read
/// by each no-op build and `status`; SQLite's `json_each` and
/// `json_extract` over them cost about half of that query. Anything this
/// reader does not expect (another shape, a fraction, a key missing) makes
/// it answer nil, and the caller decodes the text with `JSONDecoder`.
enum OutputsJSON {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [NodeBuildRecord.Output]? {
        var reader = Reader(bytes: bytes)
        return reader.outputs()
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var at = 0

        mutating func outputs() -> [NodeBuildRecord.Output]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var out: [NodeBuildRecord.Output] = []
            if take(UInt8(ascii: "]")) { return end() ? out : nil }
            repeat {
                guard let o = object() else { return nil }
                out.append(o)
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")), end() else { return nil }
            return out
        }

        mutating func object() -> NodeBuildRecord.Output? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var path: String?, sha256: String?, size: Int64?
            repeat {
                guard let key = string(), take(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "path": guard path == nil, let v = string() else { return nil }; path = v
                case "sha256": guard sha256 == nil, let v = string() else { return nil }; sha256 = v
                case "size": guard size == nil, let v = integer() else { return nil }; size = v
                default: return nil
                }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")), let path, let sha256, let size else { return nil }
            return NodeBuildRecord.Output(path: path, sha256: sha256, size: size)
        }

        /// A JSON string with every escape JSON has (`\uXXXX` with surrogate pairs).
        mutating func string() -> String? {
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
            at += 1
            let start = at
            // The common case: no escapes, one copy.
            while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\") {
                guard bytes[at] >= 0x20 else { return nil }
                at += 1
            }
            guard at < bytes.count else { return nil }
            if bytes[at] == UInt8(ascii: "\"") {
                defer { at += 1 }
                return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
            }
            var utf8 = Array(bytes[start..<at])
            while at < bytes.count {
                let c = bytes[at]
                at += 1
                switch c {
                case UInt8(ascii: "\""):
                    return String(validating: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard at < bytes.count else { return nil }
                    let e = bytes[at]
                    at += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard take(UInt8(ascii: "\\"), skippingSpace: false), take(UInt8(ascii: "u"), skippingSpace: false),
                                  let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let u = Unicode.Scalar(scalar) else { return nil }
                        utf8 += Array(String(Character(u)).utf8)
                    default: return nil
                    }
                default:
                    guard c >= 0x20 else { return nil }
                    utf8.append(c)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard at + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[at]
                at += 1
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v = v << 4 | UInt32(c - UInt8(ascii: "A") + 10)
                default: return nil
                }
            }
            return v
        }

        /// An integer without fraction or exponent, as a size is written.
        mutating func integer() -> Int64? {
            skipSpace()
            var negative = false
            if at < bytes.count, bytes[at] == UInt8(ascii: "-") { negative = true; at += 1 }
            let start = at
            var v: Int64 = 0
            while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(bytes[at] - UInt8(ascii: "0")))
                guard !o1, !o2 else { return nil }
                v = a
                at += 1
            }
            guard at > start else { return nil }
            if at < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[at]) { return nil }
            return negative ? -v : v
        }

        mutating func take(_ c: UInt8, skippingSpace: Bool = true) -> Bool {
            if skippingSpace { skipSpace() }
            guard at < bytes.count, bytes[at] == c else { return false }
            at += 1
            return true
        }

        mutating func skipSpace() {
            while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }

        mutating func end() -> Bool {
            skipSpace()
            return at == bytes.count
        }
    }
}
