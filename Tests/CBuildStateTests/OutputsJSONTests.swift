import Testing
import Foundation
import GRDB
@testable import CBuildState
import CBuildTestSupport

/// The outputs column is read by a small JSON reader instead of SQLite's
/// json_each; it must read what GRDB wrote exactly as GRDB's decoder does,
/// and give up (for JSONDecoder) on anything else.
@Suite struct OutputsJSONTests {
    /// Paths with quotes, backslashes, slashes, control characters,
    /// non-ASCII and astral characters (surrogate pairs when escaped).
    static func randomOutputs(_ rng: inout SeededGenerator) -> [NodeBuildRecord.Output] {
        let pieces = ["out/", "a", "\"", "\\", "/", "\n", "\t", "\u{1}", "é", "字", "😀", " ", "\u{7f}", "x.tar.xz"]
        return (0..<Int(rng.next() % 4)).map { _ in
            let path = (0..<(1 + Int(rng.next() % 8))).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let size = Int64(bitPattern: rng.next()) >> Int(rng.next() % 63)
            return NodeBuildRecord.Output(path: path, sha256: "sha256:" + String(rng.next(), radix: 16), size: size)
        }
    }

    @Test func readsWhatGRDBWroteAsJSONDecoderDoes() throws {
        var rng = SeededGenerator(seed: 1517)
        let db = try StateDatabase()
        var written: [String: [NodeBuildRecord.Output]] = [:]
        for i in 0..<400 {
            let outputs = Self.randomOutputs(&rng)
            let r = NodeBuildRecord(runId: "r", node: "n/\(i)", key: "k\(i)", recipe: "t@1", inputs: [], outputs: outputs,
                                    state: .succeeded, startedAt: Date(timeIntervalSince1970: 1_800_000_000))
            try db.recordBuild(r)
            written[r.node] = outputs
        }
        let heads = try db.currentBuildHeads()
        #expect(heads.count == 400)
        try db.writer.read { d in
            for row in try Row.fetchAll(d, sql: "SELECT node, outputs FROM node_build") {
                let node: String = row[0], text: String = row[1]
                var t = text
                let fast = t.withUTF8 { OutputsJSON.parse($0) }
                let decoded = try JSONDecoder().decode([NodeBuildRecord.Output].self, from: Data(text.utf8))
                #expect(fast == decoded, "\(text)")
                #expect(decoded == written[node], "\(text)")
                #expect(heads[node]?.outputs == written[node], "\(node)")
            }
        }
    }

    @Test func textOfAnotherShapeIsLeftToJSONDecoder() {
        let accepted = [#"[]"#, #" [ ] "#, #"[{"size":1,"sha256":"s","path":"p"}]"#, #"[{"path":"\u00e9\ud83d\ude00","sha256":"s","size":-3}]"#]
        for text in accepted {
            var t = text
            let fast = t.withUTF8 { OutputsJSON.parse($0) }
            #expect(fast == (try? JSONDecoder().decode([NodeBuildRecord.Output].self, from: Data(text.utf8))), "\(text)")
        }
        let refused = [#""#, #"["#, #"[{"path":"p","sha256":"s"}]"#, #"[{"path":"p","sha256":"s","size":1.5}]"#,
                       #"[{"path":"p","sha256":"s","size":1,"extra":2}]"#, #"[{"path":"p","sha256":"s","size":1}] x"#,
                       #"[{"path":"\ud83d","sha256":"s","size":1}]"#, #"[{"path":"a\qb","sha256":"s","size":1}]"#,
                       "[{\"path\":\"a\u{1}b\",\"sha256\":\"s\",\"size\":1}]", #"[{"path":"p","sha256":"s","size":99999999999999999999}]"#,
                       #"{"path":"p"}"#, #"[{"path":null,"sha256":"s","size":1}]"#]
        for text in refused {
            var t = text
            #expect(t.withUTF8 { OutputsJSON.parse($0) } == nil, "\(text)")
        }
    }
}
