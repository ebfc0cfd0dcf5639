import CBuildBasics
import CBuildTestSupport
import Foundation
import Testing

/// portage itself (from PyPI, via `scripts/portage-venv`) answering a batch
/// of questions in one Python process (`scripts/portage-oracle.py`): the
/// reference the differential tests compare cbuild's answers with.
enum PortageOracle {
    /// One installed package of a GLSA case.
    struct Installed: Encodable { var cpv: String; var slot: String }
    /// An advisory, the system's arch and its installed packages.
    struct GLSACase: Encodable { var id: String; var xml: String; var arch: String; var installed: [Installed] }
    /// Every question of one test, answered by one Python process.
    struct Request: Encodable { var vercmp: [[String]] = []; var glsa: [GLSACase] = [] }
    /// `Glsa.isVulnerable` over the whole set and per package, or the exception portage raised.
    struct GLSAAnswer: Decodable { var system: Bool?; var each: [Bool]?; var error: String? }
    /// The answers, in the order of the questions.
    struct Answer: Decodable { var vercmp: [Int?]; var glsa: [GLSAAnswer] }

    /// The venv's path; cancels the test (a skip) only when PyPI cannot be
    /// reached and this is not CI (`CI` set: the test fails instead).
    static func venv() throws -> String {
        let r = try SystemProcessRunner().run([BuiltProducts.packageRoot + "/scripts/portage-venv"], environment: nil,
                                              currentDirectory: BuiltProducts.packageRoot, input: nil)
        if r.status == 3 && ProcessInfo.processInfo.environment["CI"] == nil {
            try Test.cancel("skipped: PyPI is unreachable, so portage cannot be installed (\(r.stderrString.suffix(200)))")
        }
        guard r.succeeded else {
            Issue.record("scripts/portage-venv failed (exit \(r.status)):\n\(r.stderrString)")
            throw BasicsError.processLaunch(executable: "scripts/portage-venv", reason: r.stderrString)
        }
        return r.stdoutString.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func ask(_ request: Request) throws -> Answer {
        let python = try venv() + "/bin/python"
        let input = try JSONEncoder().encode(request)
        let r = try SystemProcessRunner().run([python, BuiltProducts.packageRoot + "/scripts/portage-oracle.py"],
                                              environment: nil, currentDirectory: nil, input: [UInt8](input))
        guard r.succeeded else {
            throw BasicsError.processLaunch(executable: "portage-oracle.py", reason: r.stderrString)
        }
        return try JSONDecoder().decode(Answer.self, from: Data(r.stdoutString.utf8))
    }
}
