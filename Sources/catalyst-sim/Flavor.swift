import Foundation

/// Which catalyst the simulator behaves like: catalyst 4 (4.1.1, TOML conf,
/// squashfs snapshots, `snapshot_treeish`) by default, catalyst 3 (3.0.22,
/// shell-style conf, tarball snapshots, `snapshot`) with
/// `CATALYST_SIM_FLAVOR=3`.
enum Flavor: Int, Sendable {
    case three = 3
    case four = 4

    /// `CATALYST_SIM_FLAVOR`: "3" selects catalyst 3, anything else catalyst 4.
    init(environment: [String: String]) {
        self = environment["CATALYST_SIM_FLAVOR"].map { $0.trimmingCharacters(in: .whitespaces) } == "3" ? .three : .four
    }

    /// The catalyst release whose source the rules were taken from.
    var emulatedVersion: String {
        switch self {
        case .three: return "3.0.22"
        case .four: return "4.1.1"
        }
    }

    /// The spec key naming the snapshot.
    var snapshotKey: String {
        switch self {
        case .three: return "snapshot"
        case .four: return "snapshot_treeish"
        }
    }
}

